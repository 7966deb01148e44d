// The stateless twin's side: PostgreSQL and redis-server (as an operator would run them here), and N API instances
// as processes of their own (backend/baselines/stateless). Each client talks to one instance over a pool of
// keep-alive HTTP connections, as a room server behind a load balancer would, with each player's guest token.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectDb, connectRedis, type Db, type Redis } from '@resident/backend/baselines/stateless';
import { GuestTokens } from '@resident/backend/game';
import { Child, freePorts, nodeScriptArgs } from '@resident/infra/process';
import { startPostgres, startRedis } from '@resident/testing';
import { Pool } from 'undici';
import { type Op, playerId, playerName } from '../workload.ts';
import type { Stack, StackClient, StackCounters, StackProcess } from './stack.ts';

const MAIN = fileURLToPath(new URL('../../../../backend/baselines/stateless/main.ts', import.meta.url));
/**
 * Keep-alive connections from one client to its instance. The closed loop's 256 in flight over 2 clients is 128
 * per client: past 64, requests wait in the client's queue, and that wait counts in the twin's latency.
 */
const CONNECTIONS = 64;
const READY_MS = 60_000;

export async function startStatelessStack(instances: number): Promise<Stack> {
  const pg = await startPostgres();
  const redis = await startRedis();
  const secret = randomBytes(32).toString('base64url');
  const tokens = new GuestTokens(secret);
  const ports = await freePorts(instances);
  const children = ports.map(
    (port, i) =>
      new Child({
        name: `api ${i + 1}`,
        command: process.execPath,
        args: nodeScriptArgs(MAIN, [
          '--port',
          String(port),
          '--pg-url',
          pg.url,
          '--redis-url',
          `redis://127.0.0.1:${redis.port}`,
        ]),
        env: { RESIDENT_AUTH_SECRET: secret },
        onLine: (stream, line) => stream === 'err' && console.error(`[api ${i + 1}] ${line}`),
      }),
  );
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  // The bench's own reads of the servers' counters (a few statements and commands per phase, not per operation).
  const stats = connectDb({ url: pg.url, max: 1 });
  const redisStats = await connectRedis(`redis://127.0.0.1:${redis.port}`, () => {});
  const pools: Pool[] = [];
  const close = async () => {
    await Promise.all(pools.map((p) => p.close()));
    await stats.end();
    await redisStats.quit();
    for (const child of children) child.closeStdin();
    await Promise.all(children.map((c) => c.waitExit(5000).then((ok) => ok || c.signal('SIGKILL'))));
    await redis.close();
    await pg.close();
  };
  try {
    await Promise.all(urls.map((url, i) => waitHealthy(url, children[i]!)));
  } catch (err) {
    await close();
    throw err;
  }
  const processes: StackProcess[] = [
    ...children.map((c) => ({ name: c.name, tier: 'app' as const, pid: c.pid })),
    { name: 'postgresql', tier: 'infra', pid: pg.pid, tree: true },
    { name: 'redis-server', tier: 'infra', pid: redis.pid },
  ];
  const tokenCache = new Map<number, string>();
  const tokenFor = (player: number) => {
    const cached = tokenCache.get(player);
    if (cached) return cached;
    const token = tokens.issue(playerId(player), playerName(player)).token;
    tokenCache.set(player, token);
    return token;
  };
  return {
    name: 'stateless',
    description: [
      `stateless twin: ${instances} Fastify API processes, PostgreSQL (synchronous commit), redis-server (cache-aside profiles, leaderboard sorted set)`,
    ],
    processes,
    async clients(count) {
      return Array.from({ length: count }, (_, i) => {
        const pool = new Pool(urls[i % urls.length]!, { connections: CONNECTIONS, pipelining: 1 });
        pools.push(pool);
        return httpClient(pool, tokenFor);
      });
    },
    counters: () => counters(stats, redisStats),
    close,
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

async function waitHealthy(url: string, child: Child): Promise<void> {
  const deadline = Date.now() + READY_MS;
  while (Date.now() < deadline) {
    if (!child.running) throw new Error(`${child.name} exited: ${child.lastLines().join('\n')}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${child.name} (${url}) not healthy within ${READY_MS / 1000} s: ${child.lastLines().join('\n')}`);
}

/** Statements PostgreSQL executed (all databases) and commands Redis processed, so far. */
async function counters(sql: Db, redis: Redis): Promise<StackCounters> {
  const [row] = await sql<{ calls: string }[]>`SELECT coalesce(sum(calls), 0)::text AS calls FROM pg_stat_statements`;
  const info = await redis.info('stats');
  const commands = Number(/^total_commands_processed:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
  return { dbQueries: Number(row?.calls ?? 0), redisCommands: commands };
}
