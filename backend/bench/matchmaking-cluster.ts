// The backend under test: a broker (one nats-server or one redis-server) and N node processes on it, with a way to
// read the room listings the nodes wrote, from outside them.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { IRoomCache } from '@colyseus/core';
import { RedisDriver } from '@colyseus/redis-driver';
import { startNats } from '@resident/shared/testing';
import { NatsDriver } from '../src/colyseus/driver/index.ts';
import { connectNats } from '../src/objects/internal.ts';
import { startRedis } from '../testing/redis-server.ts';
import { NodeProcess } from '../testing/runtime-cluster.ts';
import { freePort } from '../testing/support.ts';
import type { IpcEvent } from './ipc-trace.ts';
import { BENCH_ROOM } from './matchmaking-room.ts';
import type { Tally } from './matchmaking-tally.ts';

/** Longer than the nodes' tally flush interval. */
const TALLY_SETTLE_MS = 400;
const READY_TIMEOUT_MS = 45_000;
const NODE_SCRIPT = fileURLToPath(new URL('./matchmaking-node.ts', import.meta.url));

export type Backend = 'nats' | 'redis';

export interface BenchNode {
  readonly id: string;
  readonly endpoint: string;
  readonly process: NodeProcess;
  readonly logFile: string;
  readonly tallyFile: string;
  readonly traceFile: string;
}

export interface ClusterOptions {
  readonly backend: Backend;
  readonly nodes: number;
  /** Node ids whose process may be CPU-profiled (SIGUSR2 toggles; see cpu-profile.ts), into this folder. */
  readonly profile?: { readonly dir: string; readonly nodes: readonly string[] };
}

interface Broker {
  /** Node arguments that point a node at this broker. */
  readonly args: string[];
  readonly pid: number | undefined;
  listings(): Promise<IRoomCache[]>;
  close(): Promise<void>;
}

export class MatchmakingCluster {
  private constructor(
    readonly backend: Backend,
    readonly nodes: BenchNode[],
    private readonly broker: Broker,
    private readonly dir: string,
  ) {}

  static async start(opts: ClusterOptions): Promise<MatchmakingCluster> {
    const broker = opts.backend === 'nats' ? await natsBroker() : await redisBroker();
    const dir = mkdtempSync(join(tmpdir(), `rsd-mm-${opts.backend}-`));
    const cluster = new MatchmakingCluster(opts.backend, [], broker, dir);
    try {
      const ids = Array.from({ length: opts.nodes }, (_, i) => `${opts.backend}${i + 1}`);
      cluster.nodes.push(...(await Promise.all(ids.map((id) => cluster.launch(id, opts.profile)))));
      await Promise.all(cluster.nodes.map((n) => waitReady(n, READY_TIMEOUT_MS)));
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.nodes.map((n) => n.endpoint);
  }

  /** The `bench` room listings as the driver stores them, read by a fresh driver of our own. */
  listings(): Promise<IRoomCache[]> {
    return this.broker.listings();
  }

  /** Warnings and errors the nodes logged, by message, with one sample line each. */
  nodeLogs(): { count: number; byMessage: Map<string, { count: number; sample: string }> } {
    const byMessage = new Map<string, { count: number; sample: string }>();
    let count = 0;
    for (const node of this.nodes) {
      if (!existsSync(node.logFile)) continue;
      for (const line of readFileSync(node.logFile, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        count++;
        const key = `${node.id}: ${logMessage(line)}`;
        const seen = byMessage.get(key);
        if (seen) seen.count++;
        else byMessage.set(key, { count: 1, sample: line.slice(0, 600) });
      }
    }
    return { count, byMessage };
  }

  /** The processes to watch for CPU: every node and the broker, by name. */
  pids(): Map<string, number | undefined> {
    const pids = new Map(this.nodes.map((n) => [n.id, n.process.pid]));
    pids.set(this.backend === 'nats' ? 'nats-server' : 'redis-server', this.broker.pid);
    return pids;
  }

  /** What the nodes' matchmakers did so far (see matchmaking-tally.ts), summed over the nodes. */
  async tally(): Promise<Tally> {
    await sleep(TALLY_SETTLE_MS);
    const sum: Tally = {};
    for (const node of this.nodes) {
      if (!existsSync(node.tallyFile)) continue;
      const counts = JSON.parse(readFileSync(node.tallyFile, 'utf8')) as Tally;
      for (const [kind, n] of Object.entries(counts)) sum[kind] = (sum[kind] ?? 0) + n;
    }
    return sum;
  }

  /** Every node's IPC trace (see ipc-trace.ts), read after the nodes flushed it. */
  async ipcEvents(): Promise<IpcEvent[]> {
    await sleep(TALLY_SETTLE_MS);
    const events: IpcEvent[] = [];
    for (const node of this.nodes) {
      if (!existsSync(node.traceFile)) continue;
      for (const line of readFileSync(node.traceFile, 'utf8').split('\n'))
        if (line !== '') events.push(JSON.parse(line) as IpcEvent);
    }
    return events;
  }

  /** Sends SIGUSR2 to a profiled node: the first starts its CPU profile, the second writes it. */
  toggleProfile(id: string): void {
    const pid = this.nodes.find((n) => n.id === id)?.process.pid;
    if (pid !== undefined) process.kill(pid, 'SIGUSR2');
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.process.kill()));
    await this.broker.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(id: string, profile: ClusterOptions['profile']): Promise<BenchNode> {
    const port = await freePort();
    const logFile = join(this.dir, `${id}.log`);
    const tallyFile = join(this.dir, `${id}.tally.json`);
    const args = [this.backend, '--node-id', id, '--port', String(port), '--public-address', `127.0.0.1:${port}`];
    const traceFile = join(this.dir, `${id}.ipc.jsonl`);
    const env: NodeJS.ProcessEnv = {
      BENCH_LOG_FILE: logFile,
      BENCH_TALLY_FILE: tallyFile,
      BENCH_TRACE_FILE: traceFile,
    };
    if (profile?.nodes.includes(id)) env.BENCH_CPU_PROF = join(profile.dir, id);
    const proc = new NodeProcess(id, env, NODE_SCRIPT, [...args, ...this.broker.args]);
    await proc.start();
    return { id, endpoint: `http://127.0.0.1:${port}`, process: proc, logFile, tallyFile, traceFile };
  }
}

/** A NATS node is ready once the object runtime's shard placement has settled (its /ready says so). */
async function waitReady(node: BenchNode, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${node.endpoint}/ready`);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(100);
  }
  throw new Error(`${node.id} not ready in ${ms} ms (last /ready: ${last}; process running: ${node.process.running})`);
}

function logMessage(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; level?: unknown };
    return `[${String(entry.level)}] ${String(entry.msg)}`;
  } catch {
    return line.slice(0, 120);
  }
}

async function natsBroker(): Promise<Broker> {
  const nats = await startNats();
  const cluster = `mm${randomBytes(3).toString('hex')}`;
  return {
    args: ['--nats', nats.urls.join(','), '--cluster', cluster, '--store', 'kv'],
    pid: nats.servers[0]?.pid,
    listings: async () => {
      const nc = await connectNats(nats.urls, 'bench-observer');
      try {
        const driver = await NatsDriver.open(nc, { cluster });
        const rooms = await driver.query({ name: BENCH_ROOM });
        await driver.shutdown();
        return rooms;
      } finally {
        await nc.close();
      }
    },
    close: () => nats.close(),
  };
}

async function redisBroker(): Promise<Broker> {
  const redis = await startRedis();
  return {
    args: ['--redis', `127.0.0.1:${redis.port}`],
    pid: redis.pid,
    listings: async () => {
      const driver = new RedisDriver({ host: '127.0.0.1', port: redis.port });
      try {
        return await driver.query({ name: BENCH_ROOM });
      } finally {
        await driver.shutdown();
      }
    },
    close: () => redis.close(),
  };
}

/** Waits until a profiled node has written its profile. */
export async function profileWritten(file: string, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (existsSync(file)) return true;
    await sleep(100);
  }
  return false;
}
