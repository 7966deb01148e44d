export type { ChannelWindow } from './channel-directory.ts';
export { NatsPresence, type NatsPresenceOptions } from './nats-presence.ts';
export { PRESENCE_CLASSES, PresenceShard, VolatilePresenceShard } from './presence-shard.ts';
export { COLYSEUS_LOCK_KEYS, DEFAULT_PRESENCE_SHARDS } from './shard-router.ts';
export type { TopicCallback } from './topic-hub.ts';
