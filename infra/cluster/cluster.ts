// One local cluster's lifecycle: ports, NATS, nodes, readiness; then an ordered stop (nodes drain, then NATS).

import type { Role } from '@resident/shared/nats';
import type { Child } from '../process/child.ts';
import { Machines } from '../process/machines.ts';
import { holdPorts } from '../process/ports.ts';
import { waitAllReady } from '../process/readiness.ts';
import type { ClusterOptions } from './cli.ts';
import { NatsServers, SUPERVISOR_NAME, serverName } from './nats.ts';
import type { ServerInfo } from './nats-messages.ts';
import { clusterSecret, nodeFlags, planNodes, type RunningNode, startNode, stopNode } from './nodes.ts';
import { Printer, type Stream } from './output.ts';

const KILL_WAIT_MS = 3_000;
const NO_NATS_STOP_MS = 3_000;

/** A printer that knows every process of this cluster (for colors and aligned prefixes). */
export function printerFor(options: ClusterOptions, out?: Stream, err?: Stream): Printer {
  const servers = Array.from({ length: options.nats }, (_, i) => serverName(i));
  return new Printer([SUPERVISOR_NAME, ...servers, ...planNodes(options).map((n) => n.name)], out, err);
}

export class LocalCluster {
  readonly nodes: RunningNode[] = [];
  readonly #options: ClusterOptions;
  readonly #printer: Printer;
  readonly #abort = new AbortController();
  /** Ends a graceful stop in progress without further words: kill() took over. */
  readonly #killed = new AbortController();
  #nats: NatsServers | undefined;
  #machines: Machines | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<boolean> | undefined;
  #ready = false;
  #faults = 0;

  constructor(options: ClusterOptions, printer: Printer) {
    this.#options = options;
    this.#printer = printer;
  }

  get servers(): readonly ServerInfo[] {
    return this.#nats?.servers ?? [];
  }

  get seedFiles(): Readonly<Record<Role, string>> | undefined {
    return this.#nats?.seedFiles;
  }

  /** The nodes' machines (CPU quota, open files) when the options asked for them. */
  get machines(): Machines | undefined {
    return this.#machines;
  }

  get supervisorPid(): number | undefined {
    return this.#nats?.child.pid;
  }

  /** Settles once every process started so far has exited, whether stopped or on its own. */
  async allExited(): Promise<void> {
    await Promise.all(this.#children().map((c) => c.exited));
  }

  /** False while nothing has been spawned yet (e.g. a port was taken). */
  get spawned(): boolean {
    return this.#nats !== undefined;
  }

  get killed(): boolean {
    return this.#killed.signal.aborted;
  }

  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  /** Rejects with a message for the user: a port taken, NATS not starting, a node not getting ready. */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /** Graceful and idempotent; true if everything stopped cleanly and nothing had died along the way. */
  stop(): Promise<boolean> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** No draining: SIGKILL the nodes; the supervisor's SIGTERM handler SIGKILLs its servers and removes their data. */
  async kill(): Promise<void> {
    this.#abort.abort(new Error('killed'));
    this.#killed.abort();
    for (const node of this.nodes) node.child.signalGroup('SIGKILL');
    this.#nats?.child.signal('SIGTERM');
    await Promise.all(
      this.#children().map(async (child) => {
        if (!(await child.waitExit(KILL_WAIT_MS))) child.signalGroup('SIGKILL');
      }),
    );
    await this.#closeMachines();
  }

  /** Once every node has exited: their cgroups can only be removed empty. */
  async #closeMachines(): Promise<void> {
    if (!this.#machines) return;
    await Promise.all(this.nodes.map((n) => n.child.exited));
    this.#machines.close();
  }

  #children(): Child[] {
    return [...this.nodes.map((n) => n.child), ...(this.#nats ? [this.#nats.child] : [])];
  }

  async #start(): Promise<void> {
    const specs = planNodes(this.#options);
    // Before anything is spawned: a box that cannot give the nodes their machines fails the start at once.
    if (this.#options.machines) this.#machines = new Machines(this.#options.machines);
    const ports = await holdPorts(
      specs.map((s) => s.port),
      specs.map((s) => s.name),
    );
    let urls: string[];
    let nodeSeed: string;
    try {
      [urls, nodeSeed] = await this.#startNats();
    } finally {
      await ports.release();
    }
    // One at a time, each joining a ready cluster (as backend/testing does): nodes that start together call each
    // other's presence shards before those are served, and under load a start-up call can time out.
    const secret = this.#options.secret ?? clusterSecret();
    for (const spec of specs) {
      this.#abort.signal.throwIfAborted();
      const flags = nodeFlags(spec, urls, nodeSeed, this.#options);
      const how = { machines: this.#machines, execArgv: this.#options.nodeExecArgv };
      this.#watch(startNode(spec, flags, this.#printer, secret, how));
      await waitAllReady(this.nodes, this.#abort.signal);
      this.#machines?.cap(spec.name);
    }
    this.#ready = true;
  }

  /** The client URLs and the node role's nkey seed file. */
  async #startNats(): Promise<[string[], string]> {
    const { nats: size, cluster, jetstreamSyncAlways } = this.#options;
    const nats = new NatsServers(size, cluster, this.#printer, jetstreamSyncAlways);
    this.#nats = nats;
    const servers = await nats.ready(this.#abort.signal);
    nats.child.exited.then(() => {
      if (!this.stopping && !this.killed)
        this.#fault(`the NATS supervisor exited (${nats.child.describeExit()}): NATS is gone`);
    });
    return [servers.map((s) => s.url), nats.seedFiles!.node];
  }

  #watch(node: RunningNode): void {
    this.nodes.push(node);
    node.child.exited.then(() => {
      // Before the cluster is ready, the readiness check reports it (with the node's last lines).
      if (this.stopping || this.killed || !this.#ready) return;
      this.#fault(
        `${node.name} (pid ${node.child.pid}) exited unexpectedly (${node.child.describeExit()}); the others keep running`,
      );
    });
  }

  #fault(what: string): void {
    this.#faults++;
    this.#printer.alert(what);
  }

  async #stop(): Promise<boolean> {
    this.#abort.abort(new Error('stopping'));
    await this.#starting?.catch(() => undefined);
    const nodesOk = await this.#stopNodes();
    if (this.#killed.signal.aborted) return false;
    await this.#closeMachines();
    if (this.#nats) this.#printer.info('stopping NATS');
    const natsOk = this.#nats ? await this.#nats.stop() : true;
    return nodesOk && natsOk && this.#faults === 0;
  }

  // One at a time, last first: each node hands its objects to the ones still up, and the last one stores what it
  // has. Stopped together, nodes wait for each other to take their shards, and some never finish draining.
  async #stopNodes(): Promise<boolean> {
    const running = this.nodes.filter((n) => n.child.running).reverse();
    if (running.length === 0) return true;
    if (!this.#nats?.serving) return this.#stopNodesWithoutNats(running);
    this.#printer.info(`stopping ${running.length} node(s) one by one: SIGTERM, each drains`);
    let ok = true;
    for (const node of running) {
      if (this.#killed.signal.aborted) return false;
      ok = (await stopNode(node, this.#printer, { killed: this.#killed.signal })) && ok;
    }
    return ok;
  }

  // Without NATS (or without a JetStream quorum) there is nowhere to drain to, and waiting on each node in turn
  // would only add up timeouts.
  async #stopNodesWithoutNats(running: readonly RunningNode[]): Promise<boolean> {
    this.#printer.info(`stopping ${running.length} node(s) without NATS: they cannot drain`);
    const opts = { timeoutMs: NO_NATS_STOP_MS, killed: this.#killed.signal };
    const stopped = await Promise.all(running.map((n) => stopNode(n, this.#printer, opts)));
    return stopped.every(Boolean);
  }
}
