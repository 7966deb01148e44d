// The game: rooms and object classes a node registers. Nothing here touches storage, NATS or HTTP.
import { defineRoom, type RegisteredHandler } from '@colyseus/core';
import { ARENA_ROOM } from '@resident/shared/game';
import type { ResidentClass } from '../objects/index.ts';
import { ArenaRoom, type ArenaSettings, DEFAULT_ARENA } from './arena/arena-room.ts';
import { LOUNGE_ROOM, LoungeRoom } from './lounge-room.ts';
import { LeaderboardShard } from './objects/leaderboard.ts';
import { Player } from './objects/player.ts';

export { ArenaRoom, type ArenaSettings, DEFAULT_ARENA } from './arena/arena-room.ts';
export { AuthError, type GuestClaims, GuestTokens } from './auth/guest-tokens.ts';
export { KeyedBuckets } from './auth/keyed-buckets.ts';
export { seatAnswered } from './auth/room-auth.ts';
export { SeatLedger } from './auth/seat-ledger.ts';
export type { GameContext, RoomLimits } from './context.ts';
export { LOUNGE_ROOM, LoungeRoom } from './lounge-room.ts';
export { cachedTop, LeaderboardShard, readTop, submitScore } from './objects/leaderboard.ts';
export { Player } from './objects/player.ts';
export type { GameServices } from './services/game-services.ts';
export { objectServices } from './services/object-services.ts';
export { StatelessServiceError, StatelessServices } from './services/stateless-services.ts';

export const GAME_CLASSES: readonly ResidentClass[] = [Player, LeaderboardShard];

/** Every setting is given, so a client's join options cannot override any (Colyseus merges them over ours). */
export function gameRooms(arena: Partial<ArenaSettings> = {}): Record<string, RegisteredHandler> {
  return {
    [ARENA_ROOM]: defineRoom(ArenaRoom, { ...DEFAULT_ARENA, ...arena }),
    [LOUNGE_ROOM]: defineRoom(LoungeRoom),
  };
}
