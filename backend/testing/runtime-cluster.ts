import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, startNats, startNatsCluster } from '@resident/shared/testing';
import { ObjectRuntime, type RuntimeOptions } from '../src/objects/index.ts';
import { connectNats, internals } from '../src/objects/internal.ts';
import { ALL } from './fixtures.ts';
import { quietLog, TEST_MEMBERSHIP_KEY, waitFor } from './support.ts';

const NODE_SCRIPT = fileURLToPath(new URL('./runtime-node.ts', import.meta.url));
// Children stop by themselves when this process dies without stopping them (their stdin closes).
const ORPHAN_GUARD = new URL('../src/node/orphan-guard.ts', import.meta.url).href;
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

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

/** A runtime node in its own process: it can be killed, paused, drained and started again. */
export class NodeProcess {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly id: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly script = NODE_SCRIPT,
    private readonly args: readonly string[] = [],
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', ORPHAN_GUARD, this.script, ...this.args], {
      env: { ...process.env, ...this.env, RESIDENT_NODE_ID: this.id },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    child.stderr?.on('data', (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-4000);
      if (process.env.RESIDENT_TEST_VERBOSE) process.stderr.write(`[${this.id}] ${d}`);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${this.id} not ready in 20 s:\n${this.output}`)), 20_000);
      child.stdout?.on('data', (d: Buffer) => {
        if (process.env.RESIDENT_TEST_VERBOSE) process.stderr.write(`[${this.id}] ${d}`);
        if (d.toString().includes('READY')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`node ${this.id} exited (${code ?? signal}) before ready:\n${this.output}`));
      });
    });
  }

  kill(): Promise<void> {
    return this.signalAndWait('SIGKILL');
  }

  /** SIGTERM: the node drains (hands its objects over) and exits. */
  drain(): Promise<void> {
    return this.signalAndWait('SIGTERM');
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
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
