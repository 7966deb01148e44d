import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  Child,
  type NatsCluster,
  nodeScriptArgs,
  type ReadyTarget,
  startNats,
  startNatsCluster,
} from '@resident/testing';
import { ObjectRuntime, type RuntimeOptions } from '../src/objects/index.ts';
import { connectNats, internals } from '../src/objects/internal.ts';
import { ALL } from './fixtures.ts';
import { quietLog, TEST_MEMBERSHIP_KEY, waitFor } from './support.ts';

const NODE_SCRIPT = fileURLToPath(new URL('./runtime-node.ts', import.meta.url));
/**
 * A node transpiles the backend and may wait up to 15 s for placement to settle before it prints READY; with three
 * starting at once on two shared cores that took over 20 s (seen with a competing CPU-bound process).
 */
const START_TIMEOUT_MS = 60_000;

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

/** A node in its own process (runtime-node.ts, or `script`): it can be killed, paused, drained and started again. */
export class NodeProcess {
  private child: Child | undefined;

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
    return this.child?.running ?? false;
  }

  /** What the `/ready` poller watches while it waits (the current process; `url` is the node's HTTP base). */
  readyTarget(url: string): ReadyTarget {
    if (!this.child) throw new Error(`node ${this.id} was never started`);
    return { name: this.id, url, child: this.child };
  }

  /** Resolves once the node prints READY. */
  async start(): Promise<void> {
    let ready = () => {};
    const printedReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const verbose = process.env.RESIDENT_TEST_VERBOSE;
    const child = new Child({
      name: this.id,
      command: process.execPath,
      args: nodeScriptArgs(this.script, this.args),
      env: { ...stringsOf(this.env), RESIDENT_NODE_ID: this.id },
      onLine: (stream, line) => {
        if (verbose) process.stderr.write(`[${this.id}] ${line}\n`);
        if (stream === 'out' && line.includes('READY')) ready();
      },
    });
    this.child = child;
    const timer = new AbortController();
    const outcome = await Promise.race([
      printedReady.then(() => 'ready' as const),
      child.exited.then(() => 'exited' as const),
      sleep(START_TIMEOUT_MS, 'timeout' as const, { signal: timer.signal }),
    ]);
    timer.abort();
    if (outcome === 'ready') return;
    const tail = child.lastLines().join('\n');
    if (outcome === 'exited')
      throw new Error(`node ${this.id} exited (${child.describeExit()}) before ready:\n${tail}`);
    throw new Error(`node ${this.id} not ready in ${START_TIMEOUT_MS / 1000} s:\n${tail}`);
  }

  kill(): Promise<void> {
    return this.signalAndWait('SIGKILL');
  }

  /** SIGTERM: the node drains (hands its objects over) and exits. */
  drain(): Promise<void> {
    return this.signalAndWait('SIGTERM');
  }

  pause(): void {
    this.child?.signal('SIGSTOP');
  }

  resume(): void {
    this.child?.signal('SIGCONT');
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child?.running) return;
    child.signal(signal);
    await child.exited;
  }
}

/** The environment as a child gets it: unset variables left out. */
function stringsOf(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
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
