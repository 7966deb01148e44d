// The stateless twin's side: PostgreSQL and redis-server (as an operator would run them here), and N API instances
// as processes of their own (backend/baselines/stateless). Each client talks to one instance over a pool of
// keep-alive HTTP connections, as a room server behind a load balancer would, with each player's guest token.
import {
  connectDb,
  connectRedis,
  type Db,
  type Redis,
  startStatelessTier,
} from '@resident/backend/baselines/stateless';
import { GuestTokens } from '@resident/backend/game';
import { Pool } from 'undici';
import { type Op, playerId, playerName } from '../workload.ts';
import type { Stack, StackClient, StackCounters, StackProcess } from './stack.ts';

/**
 * Keep-alive connections from one client to its instance. The closed loop's 256 in flight over 2 clients is 128
 * per client: past 64, requests wait in the client's queue, and that wait counts in the twin's latency.
 */
const CONNECTIONS = 64;

export async function startStatelessStack(instances: number): Promise<Stack> {
  const tier = await startStatelessTier({ instances, onError: (name, line) => console.error(`[${name}] ${line}`) });
  // The bench's own reads of the servers' counters (a few statements and commands per phase, not per operation).
  const stats = connectDb({ url: tier.pg.url, max: 1 });
  const redisStats = await connectRedis(tier.redisUrl, () => {});
  const pools: Pool[] = [];
  const close = async () => {
    await Promise.all(pools.map((p) => p.close()));
    await stats.end();
    await redisStats.quit();
    await tier.close();
  };
  const processes: StackProcess[] = tier.processes.map((p) => ({
    ...p,
    tier: p.name.startsWith('api') ? ('app' as const) : ('infra' as const),
  }));
  const tokenFor = tokenCache(new GuestTokens(tier.secret));
  return {
    name: 'stateless',
    description: [
      `stateless twin: ${instances} Fastify API processes, PostgreSQL (synchronous commit), redis-server (cache-aside profiles, leaderboard sorted set, the top cached 1 s per instance)`,
    ],
    processes,
    async clients(count) {
      return Array.from({ length: count }, (_, i) => {
        const pool = new Pool(tier.urls[i % tier.urls.length]!, { connections: CONNECTIONS, pipelining: 1 });
        pools.push(pool);
        return httpClient(pool, tokenFor);
      });
    },
    counters: () => counters(stats, redisStats),
    close,
  };
}

/** Each player's guest token, signed once: the game's clients keep theirs for the session. */
function tokenCache(tokens: GuestTokens): (player: number) => string {
  const cache = new Map<number, string>();
  return (player) => {
    let token = cache.get(player);
    if (!token) {
      token = tokens.issue(playerId(player), playerName(player)).token;
      cache.set(player, token);
    }
    return token;
  };
}

function httpClient(pool: Pool, tokenFor: (player: number) => string): StackClient {
  const send = async (method: 'GET' | 'POST', path: string, player: number | undefined, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (player !== undefined) headers.authorization = `Bearer ${tokenFor(player)}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await pool.request({
      method,
      path,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  const call = (op: Op): Promise<unknown> => {
    switch (op.kind) {
      case 'top':
        return send('GET', '/api/leaderboard', undefined);
      case 'enter':
        return send('POST', '/api/enter', op.player, {});
      case 'profile':
        return send('GET', '/api/profile', op.player);
      case 'grant':
        return send('POST', '/api/grant', op.player, { xp: op.xp, eats: op.eats });
      case 'recordGame':
        return send('POST', '/api/games', op.player, { mass: op.mass, eats: op.eats, xp: op.xp });
      case 'submit':
        return send('POST', '/api/leaderboard', op.player, {
          id: playerId(op.player),
          name: playerName(op.player),
          bestMass: op.bestMass,
        });
    }
  };
  return { call, xp: async (player) => ((await send('GET', '/api/profile', player)) as { xp: number }).xp };
}

/** Statements PostgreSQL executed (all databases) and commands Redis processed, so far. */
async function counters(sql: Db, redis: Redis): Promise<StackCounters> {
  const [row] = await sql<{ calls: string }[]>`SELECT coalesce(sum(calls), 0)::text AS calls FROM pg_stat_statements`;
  const info = await redis.info('stats');
  const commands = Number(/^total_commands_processed:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
  return { dbQueries: Number(row?.calls ?? 0), redisCommands: commands };
}
