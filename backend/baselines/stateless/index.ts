// The stateless twin of Resident's Player and Leaderboard services, for benchmarks against Resident.
export { type AppDeps, buildApp } from './app.ts';
export { ProfileCache } from './cache.ts';
export { DEFAULT_PORT, readStatelessConfig, USAGE } from './config.ts';
export { RedisLeaderboard } from './leaderboard.ts';
export { StatelessPlayers, UnknownPlayerError } from './players.ts';
export { connectRedis, type Redis } from './redis.ts';
export { applySchema } from './schema.ts';
export {
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_PG_POOL,
  type StatelessApi,
  type StatelessApiOptions,
  startStatelessApi,
} from './server.ts';
export { connectDb, type Db, type PlayerRow, PlayerStore } from './store.ts';
export { type StatelessTier, type StatelessTierOptions, startStatelessTier, type TierProcess } from './tier.ts';
