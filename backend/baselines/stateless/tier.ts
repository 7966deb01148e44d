// The whole stateless tier on this machine, for benchmarks and load runs: a throwaway PostgreSQL and redis-server
// (the operator settings of @resident/testing), and N twin instances as processes of their own, healthy before this
// returns. Everything is stopped by close(), and killed if this process exits first.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Child, freePorts, nodeScriptArgs } from '@resident/infra/process';
import { type PostgresServer, type RedisServer, startPostgres, startRedis } from '@resident/testing';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const READY_MS = 60_000;
const STOP_MS = 5000;

export interface StatelessTierOptions {
  instances: number;
  /** The guest-token secret the instances verify with (the Resident nodes' own). Default: a new one. */
  secret?: string;
  /** Each line an instance writes to stderr (its warnings and errors). */
  onError?: (instance: string, line: string) => void;
}

export interface TierProcess {
  name: string;
  pid: number | undefined;
  /** The process's CPU includes its children's (PostgreSQL's backends). */
  tree?: boolean;
}

export interface StatelessTier {
  /** http://127.0.0.1:port of each instance. */
  readonly urls: string[];
  readonly secret: string;
  readonly pg: PostgresServer;
  readonly redis: RedisServer;
  readonly redisUrl: string;
  /** The instances, PostgreSQL and redis-server, for their CPU time. */
  readonly processes: TierProcess[];
  close(): Promise<void>;
}

export async function startStatelessTier(opts: StatelessTierOptions): Promise<StatelessTier> {
  const secret = opts.secret ?? randomBytes(32).toString('base64url');
  const pg = await startPostgres();
  const redis = await startRedis().catch(async (err: unknown) => {
    await pg.close();
    throw err;
  });
  const redisUrl = `redis://127.0.0.1:${redis.port}`;
  const ports = await freePorts(opts.instances);
  const children = ports.map((port, i) => instance(`api ${i + 1}`, port, { pg: pg.url, redisUrl, secret }, opts));
  const close = async () => {
    for (const child of children) child.closeStdin();
    await Promise.all(children.map((c) => c.waitExit(STOP_MS).then((ok) => ok || c.signal('SIGKILL'))));
    await Promise.all([redis.close(), pg.close()]);
  };
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  try {
    await Promise.all(urls.map((url, i) => waitHealthy(url, children[i]!)));
  } catch (err) {
    await close();
    throw err;
  }
  const processes: TierProcess[] = [
    ...children.map((c) => ({ name: c.name, pid: c.pid })),
    { name: 'postgresql', pid: pg.pid, tree: true },
    { name: 'redis-server', pid: redis.pid },
  ];
  return { urls, secret, pg, redis, redisUrl, processes, close };
}

function instance(
  name: string,
  port: number,
  servers: { pg: string; redisUrl: string; secret: string },
  opts: StatelessTierOptions,
): Child {
  return new Child({
    name,
    command: process.execPath,
    args: nodeScriptArgs(MAIN, ['--port', String(port), '--pg-url', servers.pg, '--redis-url', servers.redisUrl]),
    env: { RESIDENT_AUTH_SECRET: servers.secret },
    onLine: (stream, line) => stream === 'err' && opts.onError?.(name, line),
  });
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
