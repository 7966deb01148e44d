// Starts one instance of the twin: a pool to PostgreSQL, a Redis connection, the table if missing, then HTTP.
// Instances keep nothing between requests, so any number run side by side against the same servers.
import { availableParallelism, hostname } from 'node:os';
import { pino } from 'pino';
import { GuestTokens } from '../../src/game/auth/guest-tokens.ts';
import { DEFAULT_LIMITS, parseNodeId } from '../../src/node/config.ts';
import { buildApp } from './app.ts';
import { ProfileCache } from './cache.ts';
import { RedisLeaderboard } from './leaderboard.ts';
import { StatelessPlayers } from './players.ts';
import { connectRedis, type Redis } from './redis.ts';
import { applySchema } from './schema.ts';
import { connectDb, type Db, PlayerStore } from './store.ts';

export const DEFAULT_CACHE_TTL_SECONDS = 60;
/** Two connections per core: one waits on the network or the disk while the other works. */
export const DEFAULT_PG_POOL = 2 * availableParallelism();

export interface StatelessApiOptions {
  /** 0 (the default): a free port. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** postgres://user:password@host:port/database */
  pg: string;
  /** redis://host:port */
  redis: string;
  /** The guest-token secret of the Resident nodes whose tokens this instance accepts. */
  secret: string;
  /** The profile's `node` (default <hostname>-<random>). */
  instanceId?: string;
  pgPoolSize?: number;
  cacheTtlSeconds?: number;
  /** How long the top is served from memory (default 1000 ms, as Resident's nodes; tests of the board use 0). */
  topCacheMs?: number;
  /** Largest request body (default Resident's, 4096 bytes). */
  maxBodyBytes?: number;
}

export interface StatelessApi {
  /** http://host:port */
  readonly url: string;
  readonly instanceId: string;
  /** Stops taking requests, answers those in flight, then closes the connections. */
  close(): Promise<void>;
}

export async function startStatelessApi(opts: StatelessApiOptions): Promise<StatelessApi> {
  const instanceId = opts.instanceId ?? parseNodeId(undefined, hostname());
  // Warnings and errors only: Resident's node does not log each request either.
  const logger = pino({ level: 'warn', base: { instance: instanceId } });
  const onRedisError = (err: Error) => logger.warn({ err: err.message }, 'redis');
  const sql = connectDb({ url: opts.pg, max: opts.pgPoolSize ?? DEFAULT_PG_POOL });
  let redis: Redis | undefined;
  try {
    await applySchema(sql);
    redis = await connectRedis(opts.redis, onRedisError);
    const cache = new ProfileCache(redis, opts.cacheTtlSeconds ?? DEFAULT_CACHE_TTL_SECONDS, onRedisError);
    const app = buildApp({
      players: new StatelessPlayers(new PlayerStore(sql), cache, instanceId),
      leaderboard: new RedisLeaderboard(redis, opts.topCacheMs),
      tokens: new GuestTokens(opts.secret),
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
      logger,
    });
    const url = await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
    const connected = redis;
    return { url, instanceId, close: () => app.close().then(() => closeConnections(connected, sql)) };
  } catch (err) {
    await closeConnections(redis, sql);
    throw err;
  }
}

async function closeConnections(redis: Redis | undefined, sql: Db): Promise<void> {
  await Promise.allSettled([redis?.close(), sql.end({ timeout: 5 })]);
}
