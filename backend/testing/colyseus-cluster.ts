import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort, type NatsCluster, startNats, startNatsCluster } from '@resident/testing';
import { NodeProcess } from './runtime-cluster.ts';

const SCRIPT = fileURLToPath(new URL('./colyseus-node.ts', import.meta.url));
export const TEST_SECRET = 'resident-test-secret-0123456789abcdef';

export interface ColyseusNode {
  readonly id: string;
  readonly port: number;
  readonly endpoint: string;
  readonly process: NodeProcess;
}

/** Full backend nodes (Colyseus + presence + driver + runtime) as processes on one NATS. */
export class ColyseusCluster {
  readonly nodes: ColyseusNode[] = [];
  readonly name = `c${randomBytes(3).toString('hex')}`;

  constructor(readonly nats: NatsCluster) {}

  endpoints(): string[] {
    return this.nodes.filter((n) => n.process.running).map((n) => n.endpoint);
  }

  node(id: string): ColyseusNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  async addNode(id: string, env: NodeJS.ProcessEnv = {}): Promise<ColyseusNode> {
    const port = await freePort();
    const args = ['--node-id', id, '--port', String(port), '--public-address', `127.0.0.1:${port}`];
    args.push('--nats', this.nats.urls.join(','), '--cluster', this.name);
    const proc = new NodeProcess(id, { RESIDENT_AUTH_SECRET: TEST_SECRET, ...env, RESIDENT_NODE_ID: id }, SCRIPT, args);
    await proc.start();
    const node = { id, port, endpoint: `http://127.0.0.1:${port}`, process: proc };
    this.nodes.push(node);
    return node;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.process.kill()));
    await this.nats.close();
  }
}

export async function startColyseusCluster(opts: {
  nodes: number;
  natsServers?: 1 | 3;
  env?: NodeJS.ProcessEnv;
}): Promise<ColyseusCluster> {
  const nats = opts.natsServers === 3 ? await startNatsCluster({ size: 3 }) : await startNats();
  const cluster = new ColyseusCluster(nats);
  try {
    for (let i = 1; i <= opts.nodes; i++) await cluster.addNode(`node${i}`, opts.env);
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}
