// The backend under test: a broker (one nats-server with the roles' nkeys, or one redis-server) and N node processes
// on it sharing a generated guest-token secret, with a way to read the room listings the nodes wrote, from outside.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { IRoomCache } from '@colyseus/core';
import { RedisDriver } from '@colyseus/redis-driver';
import { loadNatsClientAuth, nodeConnectOptions } from '@resident/shared/nats';
import { freePort, startNats, startRedis, waitAllReady } from '@resident/testing';
import { NatsDriver } from '../../src/colyseus/driver/index.ts';
import { connectNats } from '../../src/objects/internal.ts';
import { NodeProcess } from '../../testing/runtime-cluster.ts';
import { BENCH_ROOM } from './room.ts';
import type { Tally } from './tally.ts';

/** Longer than the nodes' tally flush interval. */
const TALLY_SETTLE_MS = 400;
const READY_TIMEOUT_MS = 45_000;
const NODE_SCRIPT = fileURLToPath(new URL('./node.ts', import.meta.url));

export type Backend = 'nats' | 'redis';

export interface BenchNode {
  readonly id: string;
  readonly endpoint: string;
  readonly process: NodeProcess;
  readonly logFile: string;
  readonly tallyFile: string;
}

export interface ClusterOptions {
  readonly backend: Backend;
  readonly nodes: number;
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
    /** The guest-token secret every node verifies tokens with. */
    private readonly secret: string,
  ) {}

  static async start(opts: ClusterOptions): Promise<MatchmakingCluster> {
    const broker = opts.backend === 'nats' ? await natsBroker() : await redisBroker();
    const dir = mkdtempSync(join(tmpdir(), `rsd-mm-${opts.backend}-`));
    const cluster = new MatchmakingCluster(opts.backend, [], broker, dir, randomBytes(32).toString('base64url'));
    try {
      const ids = Array.from({ length: opts.nodes }, (_, i) => `${opts.backend}${i + 1}`);
      await Promise.all(ids.map((id) => cluster.launch(id)));
      cluster.nodes.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
      // A NATS node is ready once the object runtime's shard placement has settled (its /ready says so).
      const targets = cluster.nodes.map((n) => n.process.readyTarget(n.endpoint));
      await waitAllReady(targets, undefined, READY_TIMEOUT_MS);
    } catch (err) {
      const logged = cluster.logSummary(); // read before close() removes the log files
      await cluster.close();
      if (err instanceof Error && logged) err.message += `\n--- what the nodes logged ---\n${logged}`;
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

  /** The warnings and errors the nodes logged, a line per message with its count and a sample; '' if none. */
  logSummary(): string {
    const lines = [...this.nodeLogs().byMessage].map(([key, { count, sample }]) => `${count}× ${key}\n    ${sample}`);
    return lines.join('\n');
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

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.process.kill()));
    await this.broker.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(id: string): Promise<void> {
    const port = await freePort();
    const logFile = join(this.dir, `${id}.log`);
    const tallyFile = join(this.dir, `${id}.tally.json`);
    const args = [this.backend, '--node-id', id, '--port', String(port), '--public-address', `127.0.0.1:${port}`];
    const env = { BENCH_LOG_FILE: logFile, BENCH_TALLY_FILE: tallyFile, RESIDENT_AUTH_SECRET: this.secret };
    const proc = new NodeProcess(id, env, NODE_SCRIPT, [...args, ...this.broker.args]);
    // Listed before it starts, so a node that fails to start is still closed, and its log still read.
    this.nodes.push({ id, endpoint: `http://127.0.0.1:${port}`, process: proc, logFile, tallyFile });
    await proc.start();
  }
}

function logMessage(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; level?: unknown };
    return `[${String(entry.level)}] ${String(entry.msg)}`;
  } catch {
    return line.slice(0, 120);
  }
}

/** NATS as the cluster runner runs it: authentication on, each node with the node role's nkey. */
async function natsBroker(): Promise<Broker> {
  const cluster = `mm${randomBytes(3).toString('hex')}`;
  const nats = await startNats({ auth: { cluster } });
  const nodeSeed = nats.credentials!.seedFiles.node;
  const auth = loadNatsClientAuth({ 'nats-nkey': { value: nodeSeed, name: 'the node nkey' } });
  return {
    args: ['--nats', nats.urls.join(','), '--nats-nkey', nodeSeed, '--cluster', cluster, '--store', 'kv'],
    pid: nats.servers[0]?.pid,
    listings: async () => {
      const nc = await connectNats(nats.urls, 'bench-observer', nodeConnectOptions(cluster, auth));
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
