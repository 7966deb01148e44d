import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, startNats, startNatsCluster } from '@resident/testing';
import { ObjectRuntime, type RuntimeOptions } from '../src/objects/index.ts';
import { connectNats, internals } from '../src/objects/internal.ts';
import { ALL } from './fixtures.ts';
import { NodeProcess } from './node-process.ts';
import { quietLog, TEST_MEMBERSHIP_KEY, waitFor } from './support.ts';

export { NodeProcess } from './node-process.ts';

export interface ClusterOptions {
  readonly nodes: number;
  readonly natsServers?: 1 | 3;
  /** Runtime options for every node (JSON-serialisable). */
  readonly runtime?: Partial<
    Pick<
      RuntimeOptions,
      | 'shards'
      | 'callTimeoutMs'
      | 'heartbeatMs'
      | 'suspectMs'
      | 'deadMs'
      | 'rebalancePerSecond'
      | 'drainPerSecond'
      | 'idleMs'
      | 'mailboxBound'
    >
  >;
  readonly replicas?: number;
  /** Host processes answer plain NATS requests on this subject (the baseline for call benchmarks). */
  readonly echoSubject?: string;
}

export class RuntimeCluster {
  private readonly clients: { rt: ObjectRuntime; nc: NatsConnection }[] = [];

  constructor(
    readonly nats: NatsCluster,
    readonly nodes: NodeProcess[],
    readonly name: string,
    private readonly opts: ClusterOptions,
  ) {}

  /** A caller-only member in the test process: it routes calls but never hosts objects. */
  async client(overrides: Partial<RuntimeOptions> = {}): Promise<ObjectRuntime> {
    const nc = await connectNats(this.nats.urls, 'test-client');
    const rt = await ObjectRuntime.start({
      classes: ALL,
      role: 'client',
      nats: {
        connection: nc,
        cluster: this.name,
        replicas: this.opts.replicas ?? 1,
        membershipKey: TEST_MEMBERSHIP_KEY,
      },
      log: quietLog(),
      ...this.opts.runtime,
      ...overrides,
    });
    this.clients.push({ rt, nc });
    await waitFor(() => internals(rt).placement.settled(), 30_000, 'shard placement to settle');
    return rt;
  }

  node(id: string): NodeProcess {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id} in this cluster`);
    return node;
  }

  /** A node's Prometheus text, fetched over NATS from its process. */
  async metrics(node: string): Promise<string> {
    const nc = await connect({ servers: this.nats.urls });
    try {
      const msg = await nc.request(`test.${this.name}.${node}.metrics`, undefined, { timeout: 2000 });
      return msg.string();
    } finally {
      await nc.close();
    }
  }

  /** Starts one more host node process. */
  async addNode(id: string): Promise<NodeProcess> {
    const node = new NodeProcess(id, nodeEnv(this.nats, this.name, this.opts));
    await node.start();
    this.nodes.push(node);
    return node;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    for (const { rt, nc } of this.clients) {
      await rt.stop({ drain: false }).catch(() => undefined);
      await nc.close().catch(() => undefined);
    }
    await this.nats.close();
  }
}

function nodeEnv(nats: NatsCluster, name: string, opts: ClusterOptions): NodeJS.ProcessEnv {
  return {
    NATS_URLS: nats.urls.join(','),
    RESIDENT_CLUSTER: name,
    RESIDENT_REPLICAS: String(opts.replicas ?? 1),
    RESIDENT_OPTIONS: JSON.stringify(opts.runtime ?? {}),
    RESIDENT_MEMBERSHIP_KEY: Buffer.from(TEST_MEMBERSHIP_KEY).toString('base64'),
    ...(opts.echoSubject ? { RESIDENT_ECHO_SUBJECT: opts.echoSubject } : {}),
  };
}

export async function startRuntimeCluster(opts: ClusterOptions): Promise<RuntimeCluster> {
  const nats = opts.natsServers === 3 ? await startNatsCluster({ size: 3 }) : await startNats();
  const name = `t${randomBytes(3).toString('hex')}`;
  const cluster = new RuntimeCluster(nats, [], name, opts);
  try {
    await Promise.all(Array.from({ length: opts.nodes }, (_, i) => cluster.addNode(`node${i + 1}`)));
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}
