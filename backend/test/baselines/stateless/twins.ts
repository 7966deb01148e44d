// What the stateless twin's tests start: a real PostgreSQL and redis-server, and instances of the twin against them.
import { createClient } from '@redis/client';
import { type PostgresServer, postgresMissing, type RedisServer, startPostgres, startRedis } from '@resident/testing';
import { type StatelessApi, startStatelessApi } from '../../../baselines/stateless/index.ts';
import { GuestTokens } from '../../../src/game/auth/guest-tokens.ts';

export const SECRET = 'stateless-twin-test-secret-0123456789';

/** Why these tests cannot run here (one line), or false. */
export const skip = postgresMissing() ?? false;

export interface Twins {
  pg: PostgresServer;
  redis: RedisServer;
  redisUrl: string;
  apis: StatelessApi[];
  tokens: GuestTokens;
  close(): Promise<void>;
}

/** `count` instances side by side on one PostgreSQL and one Redis, accepting tokens signed with `secret`. */
export async function startTwins(count: number, secret = SECRET, topCacheMs?: number): Promise<Twins> {
  const pg = await startPostgres();
  const redis = await startRedis();
  const redisUrl = `redis://127.0.0.1:${redis.port}`;
  const apis: StatelessApi[] = [];
  const close = async () => {
    await Promise.all(apis.map((api) => api.close()));
    await Promise.all([redis.close(), pg.close()]);
  };
  try {
    // Together, as a deployment starts them: the schema is created once.
    const started = Array.from({ length: count }, (_, i) =>
      startStatelessApi({
        pg: pg.url,
        redis: redisUrl,
        secret,
        instanceId: `twin${i + 1}`,
        ...(topCacheMs === undefined ? {} : { topCacheMs }),
      }),
    );
    apis.push(...(await Promise.all(started)));
  } catch (err) {
    await close();
    throw err;
  }
  return { pg, redis, redisUrl, apis, tokens: new GuestTokens(secret), close };
}

export interface Reply {
  status: number;
  body: unknown;
}

export interface CallOptions {
  token?: string;
  /** Sent as JSON, or as it is when a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

export async function call(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A Redis connection of the test's own, to look at what the twin keeps there. */
export async function inspectRedis(url: string) {
  const client = createClient({ url });
  await client.connect();
  return client;
}
