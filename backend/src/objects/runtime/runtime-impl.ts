import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Catalog } from '../catalog/catalog.ts';
import type { ActivationHost } from '../catalog/host.ts';
import { ErrorCode, ResidentError } from '../errors.ts';
import type { MemberInfo, Membership } from '../membership/member.ts';
import { RuntimeMetrics } from '../metrics.ts';
import { shardOf } from '../placement/hash.ts';
import type { Placement, PlacementEvents } from '../placement/placement.ts';
import type { CallOptions, Ref } from '../ref.ts';
import { RefsImpl } from '../refs.ts';
import { ClassRegistry, objectId } from '../registry.ts';
import { ReminderTurns } from '../reminders/reminder-turns.ts';
import { Reminders } from '../reminders/reminders.ts';
import type { AnyResident } from '../resident.ts';
import type { ExposeCheck, ResidentClass } from '../resident-class.ts';
import { buildTopology, type Topology } from '../topology.ts';
import type { InboundHandler } from '../transport/nats-transport.ts';
import type { ObjectRuntime } from './api.ts';
import { Chains } from './chains.ts';
import { Dispatcher } from './dispatch.ts';
import { Inbound } from './inbound.ts';
import { clusterName, type ResolvedOptions, type RuntimeOptions, resolveOptions } from './options.ts';
import { Outbound } from './outbound.ts';
import { Replies } from './replies.ts';

/** The idle sweep's tick, and the longest a pass over every activation takes (see idleSweeper). */
const SWEEP_TICK_MS = 1000;
const SWEEP_PASS_MS = 10_000;

/**
 * The object runtime behind `ObjectRuntime`: the parts of a node wired together. The node wiring, the Colyseus glue
 * and tests reach it through internal.ts (`RuntimeImpl.start`, or `internals(runtime)`); game code never does.
 */
export class RuntimeImpl implements ObjectRuntime {
  readonly outbound: Outbound;
  private readonly catalog: Catalog;
  private readonly dispatcher: Dispatcher;
  private readonly inbound: Inbound;
  private readonly reminders: Reminders;
  private readonly refs: RefsImpl;
  private readonly chains: Chains;
  private readonly sweeper: NodeJS.Timeout;
  private readonly holdChecker: NodeJS.Timeout;
  private timerSeq = 0;
  private stopping = false;

  private constructor(
    private readonly options: ResolvedOptions,
    readonly registry: ClassRegistry,
    private readonly topology: Topology,
    readonly metrics: RuntimeMetrics,
  ) {
    const { nodeId, shards, callTimeoutMs } = options;
    this.chains = new Chains(nodeId);
    this.catalog = new Catalog(this.host(), (turn, entry, key) => this.dispatcher.dispatch(entry, key, turn));
    this.dispatcher = new Dispatcher(
      topology.placement,
      this.catalog,
      {
        nodeId,
        shards,
        holdBound: options.mailboxBound * 10,
      },
      metrics,
    );
    this.outbound = new Outbound(
      topology.placement,
      topology.transport,
      this.dispatcher,
      this.chains,
      metrics,
      options,
    );
    this.inbound = new Inbound(
      this.registry,
      this.dispatcher,
      new Replies(topology.transport, options.maxPayloadBytes),
      this.chains,
    );
    this.refs = new RefsImpl(this.registry, this.outbound, () => undefined, callTimeoutMs);
    const firer = new ReminderTurns({
      registry: this.registry,
      dispatch: (entry, key, turn) => this.dispatcher.dispatch(entry, key, turn),
      newChain: () => this.chains.next(),
      timeoutMs: callTimeoutMs,
    });
    this.reminders = new Reminders(topology.store, topology.placement, firer, options.log);
    topology.membership.onChange(() => this.outbound.failGone(topology.membership.alive()));
    this.sweeper = idleSweeper(this.catalog, options.idleMs);
    this.sweeper.unref();
    this.holdChecker = setInterval(() => this.dispatcher.recheckHeld(Date.now()), options.heartbeatMs);
    this.holdChecker.unref();
  }

  static async start(opts: RuntimeOptions): Promise<RuntimeImpl> {
    const options = resolveOptions(opts);
    const registry = new ClassRegistry(options.classes); // refuses a bad class before the node joins anything
    const self: MemberInfo = {
      id: options.nodeId,
      incarnation: randomBytes(6).toString('hex'),
      role: options.role,
      status: 'active',
      ...(options.address ? { address: options.address } : {}),
    };
    // The topology's events reach the parts once they exist; until then there is nothing held, active or serving.
    let rt: RuntimeImpl | undefined;
    const metrics = new RuntimeMetrics(
      options.metricsRegistry,
      () => rt?.catalog.maxMailboxDepth() ?? 0,
      () => rt?.topology.store.writeStats,
    );
    const events: PlacementEvents = {
      settled: (shard) => rt?.dispatcher.releaseHeld(shard),
      lost: (shard) => rt?.dropShard(shard),
      release: async (shard) => {
        await rt?.catalog.closeShard(shard);
      },
    };
    const inbound: InboundHandler = {
      onCall: (from, call) => rt?.inbound.onCall(from, call),
      onReply: (_from, reply) => rt?.outbound.onReply(reply),
    };
    const topology = await buildTopology(options, self, events, inbound, metrics);
    rt = new RuntimeImpl(options, registry, topology, metrics);
    topology.open();
    const mode = options.nats ? 'cluster' : 'embedded';
    rt.log.info({ node: self.id, role: self.role, store: topology.store.kind, mode }, 'object runtime started');
    return rt;
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  get log(): Logger {
    return this.options.log;
  }

  get metricsRegistry(): Registry {
    return this.options.metricsRegistry;
  }

  get membership(): Membership {
    return this.topology.membership;
  }

  get placement(): Placement {
    return this.topology.placement;
  }

  /** The cluster's NATS connection; undefined on the embedded node. */
  get connection(): NatsConnection | undefined {
    return this.options.nats?.connection;
  }

  get cluster(): string {
    return clusterName(this.options);
  }

  get activeObjects(): number {
    return this.catalog.size;
  }

  get<C extends ResidentClass>(cls: C & ExposeCheck<C>, key: string, opts?: CallOptions): Ref<C> {
    return this.refs.get<C>(cls, key, opts);
  }

  locate<T extends AnyResident>(cls: ResidentClass<T>, key: string): string | undefined {
    const id = objectId(this.registry.ofClass(cls), key);
    return this.topology.placement.route(shardOf(id, this.options.shards));
  }

  async stop(opts: { drain?: boolean } = {}): Promise<void> {
    if (this.stopping) return;
    const drain = opts.drain ?? true;
    if (drain) {
      await this.topology.membership.setStatus('draining');
      await this.topology.placement.drain();
      await this.catalog.closeAll();
      await new Promise((r) => setTimeout(r, this.options.heartbeatMs * 2)); // answer stragglers with NotOwner
    } else {
      this.catalog.dropAll();
    }
    this.stopping = true;
    clearInterval(this.sweeper);
    clearInterval(this.holdChecker);
    this.reminders.stop();
    this.outbound.stop();
    await this.topology.close();
  }

  private dropShard(shard: number): void {
    const n = this.catalog.dropShard(shard);
    if (n > 0) this.log.warn({ shard, objects: n }, 'shard taken over by another node; dropped its activations');
  }

  private host(): ActivationHost {
    const rt = this;
    return {
      store: this.topology.store,
      nodeId: this.nodeId,
      mailboxBound: this.options.mailboxBound,
      log: this.log,
      metrics: this.metrics,
      get reminders() {
        return rt.reminders;
      },
      refsFor: (chain) => new RefsImpl(this.registry, this.outbound, chain, this.options.callTimeoutMs),
      canCommit: (shard) => this.topology.placement.canCommit(shard),
      bounce: (turns) => {
        for (const t of turns) t.settle(new ResidentError(ErrorCode.NotOwner, 'object moved before the call ran'));
      },
      newChain: () => this.chains.next(),
      nextTimerId: () => ++this.timerSeq,
    };
  }
}

/** The implementation behind a runtime that `ObjectRuntime.start` returned: for the node wiring and tests. */
export function internals(runtime: ObjectRuntime): RuntimeImpl {
  if (runtime instanceof RuntimeImpl) return runtime;
  throw new TypeError('not a runtime started by ObjectRuntime.start');
}

/**
 * Every tick the sweep visits a share of the activations, so that a pass over all of them takes at most
 * SWEEP_PASS_MS (or idleMs, when shorter): a pass a second over every activation cost an idle node more than its
 * users' own traffic.
 */
function idleSweeper(catalog: Catalog, idleMs: number): NodeJS.Timeout {
  const tickMs = Math.min(idleMs, SWEEP_TICK_MS);
  const ticksPerPass = Math.max(1, Math.floor(Math.min(idleMs, SWEEP_PASS_MS) / tickMs));
  return setInterval(() => catalog.sweepIdle(Date.now(), idleMs, Math.ceil(catalog.size / ticksPerPass) + 1), tickMs);
}
