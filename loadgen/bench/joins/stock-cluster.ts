// The baseline cluster of bench:joins: one real redis-server and N stock Colyseus nodes (stock-node.ts) on it,
// sharing a guest-token secret generated for the run; stopped (killed) at the end.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NodeProcess } from '@resident/backend/testing/node-process';
import { freePorts, type RedisServer, startRedis, waitAllReady } from '@resident/testing';

const SCRIPT = fileURLToPath(new URL('./stock-node.ts', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export interface StockCluster {
  readonly nodes: string[];
  readonly redisPort: number;
  /** Nodes whose process has exited (one that runs out of open files, 20,000 here, dies). */
  gone(): string[];
  stop(): Promise<void>;
}

export async function startStockCluster(count: number): Promise<StockCluster> {
  const redis = await startRedis();
  const secret = randomBytes(32).toString('base64url');
  const procs: NodeProcess[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await redis.close();
  };
  try {
    const ports = await freePorts(count);
    const nodes = ports.map((port) => `http://127.0.0.1:${port}`);
    await Promise.all(ports.map((port, i) => launch(procs, `stock${i + 1}`, port, redis, secret)));
    await waitAllReady(
      procs.map((p, i) => p.readyTarget(nodes[i]!)),
      undefined,
      READY_TIMEOUT_MS,
    );
    const gone = () => procs.filter((p) => !p.running).map((p) => p.id);
    return { nodes, redisPort: redis.port, gone, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function launch(procs: NodeProcess[], id: string, port: number, redis: RedisServer, secret: string) {
  const args = ['--node-id', id, '--port', String(port), '--redis-port', String(redis.port)];
  const proc = new NodeProcess(id, { RESIDENT_AUTH_SECRET: secret }, SCRIPT, args);
  procs.push(proc); // listed before it starts, so a node that fails to start is still killed
  await proc.start();
}
