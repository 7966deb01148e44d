export { DEFAULT_REJOIN, REJOINABLE_CODES, type RejoinPolicy, rejoin } from './rejoin.ts';
export { ResilientRoom } from './resilient-room.ts';
