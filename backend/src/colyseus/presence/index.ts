export type { ChannelWindow } from './channel-directory.ts';
export { NatsPresence, type NatsPresenceOptions } from './nats-presence.ts';
export { PresenceShard } from './presence-shard.ts';
export { DEFAULT_PRESENCE_SHARDS } from './shard-router.ts';
export type { TopicCallback } from './topic-hub.ts';
