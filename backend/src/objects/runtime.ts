import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { ObjectTurn } from './catalog/activation.ts';
import { Catalog } from './catalog/catalog.ts';
import type { ActivationHost } from './catalog/host.ts';
import { ErrorCode, ResidentError } from './errors.ts';
import type { ExposeCheck } from './exposure.ts';
import type { MemberInfo, MemberRole, Membership } from './membership/member.ts';
import { CallTracker, timeoutError } from './messaging/call-tracker.ts';
import type { CallFrame, ReplyFrame } from './messaging/envelope.ts';
import { OutgoingCall } from './messaging/outgoing-call.ts';
import { copyValue, packValue, unpackValue } from './messaging/payload.ts';
import { InboundTurn, type InboundTurnHost, LocalTurn, type LocalTurnHost } from './messaging/turns.ts';
import { RuntimeMetrics } from './metrics.ts';
import { shardOf } from './placement/hash.ts';
import type { Placement, PlacementEvents } from './placement/placement.ts';
import { type CallOptions, type Invoker, type Ref, RefsImpl } from './refs.ts';
import { type ClassEntry, ClassRegistry, checkMethod } from './registry.ts';
import { type ReminderFirer, Reminders } from './reminders/reminders.ts';
import type { AnyResident, ResidentClass } from './resident.ts';
import type { StateStore } from './storage/state-store.ts';
import { buildTopology, type Topology } from './topology.ts';
import type { Transport } from './transport/transport.ts';

export interface RuntimeOptions {
  readonly classes: readonly ResidentClass[];
  /** Subject-safe id, unique in the cluster. Default: random. */
  readonly nodeId?: string;
  readonly role?: MemberRole;
  readonly address?: string;
  /** Absent: the embedded single node. Present: a cluster member over NATS. */
  readonly nats?: {
    readonly connection: NatsConnection;
    readonly cluster?: string;
    readonly replicas?: number;
    /**
     * HMAC-SHA256 key (at least 32 bytes) that every node of the cluster shares: membership entries are signed with
     * it, and entries that do not check out are dropped. Required for hosts. See `deriveMembershipKey`.
     */
    readonly membershipKey?: Uint8Array;
  };
  /** Default: JetStream KV in a cluster, memory on the embedded node (the node wiring passes LMDB there). */
  readonly store?: StateStore;
  readonly shards?: number;
  readonly callTimeoutMs?: number;
  readonly idleMs?: number;
  readonly mailboxBound?: number;
  readonly maxPayloadBytes?: number;
  readonly heartbeatMs?: number;
  readonly suspectMs?: number;
  readonly rebalancePerSecond?: number;
  readonly drainPerSecond?: number;
  readonly log?: Logger;
  readonly metricsRegistry?: Registry;
}

export type ResolvedOptions = Required<Omit<RuntimeOptions, 'nats' | 'store' | 'address' | 'log' | 'metricsRegistry'>> &
  Pick<RuntimeOptions, 'nats' | 'store' | 'address'> & { log: Logger; metricsRegistry: Registry };

const DEFAULTS = {
  role: 'host' as MemberRole,
  shards: 256,
  callTimeoutMs: 5000,
  idleMs: 120_000,
  mailboxBound: 1000,
  maxPayloadBytes: 512 * 1024,
  heartbeatMs: 200,
  suspectMs: 1000,
  rebalancePerSecond: 32,
  drainPerSecond: 512,
};

const RESEND_BACKOFF_MS = [1, 2, 5, 10, 20, 50, 100];
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A node of the object runtime. `get(Class, key)` returns a typed reference; calls go to the object's owner node,
 * wherever that is, and the object activates there on first use.
 */
export class ObjectRuntime implements Invoker, ReminderFirer, LocalTurnHost, InboundTurnHost {
  readonly registry: ClassRegistry;
  readonly metrics: RuntimeMetrics;
  readonly log: Logger;
  private readonly refs: RefsImpl;
  private readonly tracker: CallTracker;
  private readonly catalog: Catalog;
  private readonly held = new Map<number, { entry: ClassEntry; key: string; turn: ObjectTurn }[]>();
  private heldCount = 0;
  private chainSeq = 0;
  private timerSeq = 0;
  private topology!: Topology;
  private reminders!: Reminders;
  private sweeper: NodeJS.Timeout | undefined;
  private stopping = false;

  private constructor(readonly options: ResolvedOptions) {
    this.log = options.log;
    this.registry = new ClassRegistry(options.classes);
    this.metrics = new RuntimeMetrics(options.metricsRegistry, () => this.catalog.mailboxDepths());
    this.refs = new RefsImpl(this.registry, this, () => undefined, options.callTimeoutMs);
    this.tracker = new CallTracker(20);
    this.catalog = new Catalog(this.host(), (turn, entry, key) => this.dispatch(entry, key, turn));
  }

  static async start(opts: RuntimeOptions): Promise<ObjectRuntime> {
    const options = resolve(opts);
    const runtime = new ObjectRuntime(options);
    const self: MemberInfo = {
      id: options.nodeId,
      incarnation: randomBytes(6).toString('hex'),
      role: options.role,
      status: 'active',
      ...(options.address ? { address: options.address } : {}),
    };
    try {
      runtime.topology = await buildTopology(
        options,
        self,
        runtime.placementEvents(),
        runtime.inbound(),
        runtime.metrics,
      );
    } catch (err) {
      runtime.tracker.stop(); // a start that fails leaves nothing running
      throw err;
    }
    runtime.reminders = new Reminders(runtime.topology.store, runtime.topology.placement, runtime, options.log);
    runtime.topology.membership.onChange(() => runtime.onMembershipChange());
    runtime.topology.open();
    runtime.sweeper = setInterval(
      () => runtime.catalog.sweepIdle(Date.now(), options.idleMs),
      Math.min(options.idleMs, 1000),
    );
    runtime.sweeper.unref();
    runtime.log.info(
      {
        node: self.id,
        role: self.role,
        store: runtime.topology.store.kind,
        mode: options.nats ? 'cluster' : 'embedded',
      },
      'object runtime started',
    );
    return runtime;
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  get membership(): Membership {
    return this.topology.membership;
  }

  get placement(): Placement {
    return this.topology.placement;
  }

  get activeObjects(): number {
    return this.catalog.size;
  }

  get<C extends ResidentClass>(cls: C & ExposeCheck<C>, key: string, opts?: CallOptions): Ref<C> {
    return this.refs.get<C>(cls, key, opts);
  }

  /** The node currently serving the object (or about to): what a HUD shows as "hosted on". */
  locate<T extends AnyResident>(cls: ResidentClass<T>, key: string): string | undefined {
    const id = objectId(this.registry.ofClass(cls), key);
    return this.topology.placement.route(shardOf(id, this.options.shards));
  }

  invoke(
    entry: ClassEntry,
    key: string,
    method: string,
    args: unknown[],
    chain: string | undefined,
    timeoutMs: number,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.stopping) throw new ResidentError(ErrorCode.Stopped, `node ${this.nodeId} is stopping`);
      checkMethod(entry, method);
      const id = objectId(entry, key);
      const shard = shardOf(id, this.options.shards);
      const remoteFirst = this.topology.placement.route(shard) !== this.nodeId;
      const call = new OutgoingCall(
        entry,
        key,
        id,
        shard,
        method,
        args,
        chain ?? this.newChain(),
        timeoutMs,
        Date.now() + timeoutMs,
        resolve,
        reject,
        remoteFirst,
      );
      this.attempt(call);
    });
  }

  private attempt(call: OutgoingCall): void {
    if (call.attempts > 0 && Date.now() > call.deadline) return call.fail(timeoutError(call));
    const node = this.topology.placement.route(call.shard);
    if (node === undefined)
      return this.retryLater(call, new ResidentError(ErrorCode.Unavailable, 'no host node is alive'));
    call.attempts++;
    if (node === this.nodeId) return this.attemptLocal(call);
    if (!this.topology.transport.connected) {
      return call.fail(
        new ResidentError(ErrorCode.Unavailable, `${call.describe()}: not connected to NATS; retry later`),
      );
    }
    const args = call.packedArgs;
    if (args.length > this.options.maxPayloadBytes)
      return call.fail(tooLarge(call.describe(), args.length, this.options.maxPayloadBytes));
    call.node = node;
    call.started ||= performance.now();
    const frame: CallFrame = {
      id: this.tracker.add(call),
      cls: call.entry.name,
      key: call.key,
      method: call.method,
      args,
      chain: call.chain,
      timeoutMs: Math.max(1, call.deadline - Date.now()),
    };
    this.topology.transport.send(node, { kind: 'call', call: frame });
  }

  private attemptLocal(call: OutgoingCall): void {
    call.node = undefined;
    const turn = new LocalTurn(this, call, this.tracker.add(call), call.localArgs);
    this.dispatch(call.entry, call.key, turn, call.id, call.shard);
  }

  settleLocal(turn: LocalTurn, err: ResidentError | undefined, result: unknown): void {
    if (!this.tracker.take(turn.trackId)) return; // already timed out
    if (err) return this.settleFailed(turn.call, err);
    let value: unknown;
    try {
      value = copyValue(result);
    } catch (e) {
      return this.settleFailed(turn.call, asError(e));
    }
    this.metrics.callDone('ok');
    turn.call.succeed(value);
  }

  private settleFailed(call: OutgoingCall, err: ResidentError): void {
    const backoff = RESEND_BACKOFF_MS[Math.min(call.attempts - 1, RESEND_BACKOFF_MS.length - 1)]!;
    if (call.shouldResend(err, backoff)) {
      setTimeout(() => this.attempt(call), backoff);
      return;
    }
    this.metrics.callDone(err.code);
    call.fail(err);
  }

  private retryLater(call: OutgoingCall, err: ResidentError): void {
    const backoff = RESEND_BACKOFF_MS[Math.min(call.attempts, RESEND_BACKOFF_MS.length - 1)]!;
    if (Date.now() + backoff >= call.deadline) return call.fail(err);
    call.attempts++;
    setTimeout(() => this.attempt(call), backoff);
  }

  /** Runs, holds or bounces a turn, depending on whether this node owns the object's shard right now. */
  private dispatch(
    entry: ClassEntry,
    key: string,
    turn: ObjectTurn,
    id = objectId(entry, key),
    shard = shardOf(id, this.options.shards),
  ): void {
    switch (this.topology.placement.status(shard)) {
      case 'owned':
        return this.catalog.deliver(entry, key, id, shard, turn);
      case 'hold':
        return this.hold(shard, entry, key, turn);
      case 'foreign':
        return turn.settle(notOwner(id, this.nodeId));
    }
  }

  private hold(shard: number, entry: ClassEntry, key: string, turn: ObjectTurn): void {
    if (this.heldCount >= this.options.mailboxBound * 10) {
      return turn.settle(
        new ResidentError(ErrorCode.Overloaded, `node ${this.nodeId}: too many calls waiting for shard ownership`),
      );
    }
    let list = this.held.get(shard);
    if (!list) {
      list = [];
      this.held.set(shard, list);
    }
    list.push({ entry, key, turn });
    this.heldCount++;
  }

  private releaseHeld(shard: number): void {
    const list = this.held.get(shard);
    if (!list || this.topology.placement.status(shard) === 'hold') return;
    this.held.delete(shard);
    this.heldCount -= list.length;
    for (const h of list) this.dispatch(h.entry, h.key, h.turn);
  }

  private onInboundCall(from: string, frame: CallFrame): void {
    let entry: ClassEntry;
    let args: unknown;
    try {
      entry = this.registry.named(frame.cls);
      checkMethod(entry, frame.method);
      args = unpackValue(frame.args) ?? [];
      if (!Array.isArray(args)) throw new ResidentError(ErrorCode.Serialization, 'call arguments are not an array');
    } catch (err) {
      return this.reply(from, frame.id, asError(err));
    }
    const chain = frame.chain || this.newChain();
    const turn = new InboundTurn(this, from, frame.id, frame.method, args, chain, Date.now() + frame.timeoutMs);
    this.dispatch(entry, frame.key, turn);
  }

  reply(to: string, id: number, err: ResidentError | undefined, result?: unknown): void {
    const frame: ReplyFrame = { id };
    if (err) {
      frame.errorCode = err.code;
      frame.errorMessage = err.message;
    } else {
      try {
        frame.result = packValue(result);
        if (frame.result.length > this.options.maxPayloadBytes)
          throw tooLarge('result', frame.result.length, this.options.maxPayloadBytes);
      } catch (e) {
        const wire = asError(e);
        frame.result = undefined;
        frame.errorCode = wire.code;
        frame.errorMessage = wire.message;
      }
    }
    this.topology.transport.send(to, { kind: 'reply', reply: frame });
  }

  private onInboundReply(frame: ReplyFrame): void {
    const call = this.tracker.take(frame.id) as OutgoingCall | undefined;
    if (!call) return; // timed out already, or a reply to a previous incarnation
    if (frame.errorCode) {
      return this.settleFailed(
        call,
        new ResidentError(frame.errorCode as ErrorCode, frame.errorMessage ?? '', call.chain),
      );
    }
    let value: unknown;
    try {
      value = unpackValue(frame.result ?? new Uint8Array());
    } catch (err) {
      return call.fail(asError(err));
    }
    this.metrics.callDone('ok', performance.now() - call.started);
    call.succeed(value);
  }

  private onMembershipChange(): void {
    const alive = this.topology.membership.alive();
    for (const node of this.tracker.nodes()) if (!alive.has(node)) this.tracker.failNode(node);
  }

  private placementEvents(): PlacementEvents {
    return {
      settled: (shard) => this.releaseHeld(shard),
      lost: (shard) => {
        this.metrics.moved('lost');
        const n = this.catalog.dropShard(shard);
        if (n > 0) this.log.warn({ shard, objects: n }, 'shard taken over by another node; dropped its activations');
      },
      release: async (shard) => {
        await this.catalog.closeShard(shard);
      },
    };
  }

  private inbound() {
    return {
      onCall: (from: string, call: CallFrame) => this.onInboundCall(from, call),
      onReply: (_from: string, reply: ReplyFrame) => this.onInboundReply(reply),
    };
  }

  private host(): ActivationHost {
    const rt = this;
    return {
      get store() {
        return rt.topology.store;
      },
      nodeId: this.nodeId,
      mailboxBound: this.options.mailboxBound,
      log: this.log,
      metrics: this.metrics,
      get reminders() {
        return rt.reminders;
      },
      refsFor: (chain) => new RefsImpl(this.registry, this, chain, this.options.callTimeoutMs),
      canCommit: (shard) => this.topology.placement.canCommit(shard),
      bounce: (turns) => {
        for (const t of turns) t.settle(new ResidentError(ErrorCode.NotOwner, 'object moved before the call ran'));
      },
      closed: (activation) => this.catalog.removed(activation),
      newChain: () => this.newChain(),
      nextTimerId: () => ++this.timerSeq,
    };
  }

  /** Fires a durable reminder as a turn of its object (activating it if needed); only called on the owner. */
  fireReminder(objectId: string, name: string): Promise<void> {
    const slash = objectId.indexOf('/');
    const entry = this.registry.named(objectId.slice(0, slash));
    const key = objectId.slice(slash + 1);
    return new Promise((resolve, reject) => {
      this.dispatch(entry, key, {
        chain: this.newChain(),
        deadline: Date.now() + this.options.callTimeoutMs,
        run: (instance) => instance.onReminder?.(name),
        settle: (err) => (err ? reject(err) : resolve()),
      });
    });
  }

  newChain(): string {
    this.chainSeq++;
    return `${this.nodeId}:${this.chainSeq.toString(36)}`;
  }

  /** Graceful: hand every object to the other hosts (or store it, if none is left), then leave the cluster. */
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
    this.reminders.stop();
    this.tracker.failAll(
      (c) => new ResidentError(ErrorCode.Stopped, `${c.describe()}: node ${this.nodeId} stopped`, c.chain),
    );
    this.tracker.stop();
    await this.topology.close();
  }
}

function resolve(opts: RuntimeOptions): ResolvedOptions {
  const nodeId = opts.nodeId ?? `n-${randomBytes(4).toString('hex')}`;
  if (!NODE_ID.test(nodeId)) throw new Error(`invalid node id ${JSON.stringify(nodeId)}: use 1-64 of A-Z a-z 0-9 _ -`);
  const merged = { ...DEFAULTS, ...stripUndefined(opts), nodeId };
  return {
    ...merged,
    log: opts.log ?? pino({ level: process.env.LOG_LEVEL ?? 'info' }),
    metricsRegistry: opts.metricsRegistry ?? new Registry(),
  } as ResolvedOptions;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function objectId(entry: ClassEntry, key: string): string {
  return `${entry.name}/${key}`;
}

function notOwner(id: string, node: string): ResidentError {
  return new ResidentError(ErrorCode.NotOwner, `${id} is not owned by ${node}`);
}

function tooLarge(what: string, size: number, max: number): ResidentError {
  return new ResidentError(
    ErrorCode.PayloadTooLarge,
    `${what}: payload of ${size} bytes exceeds the ${max}-byte limit`,
  );
}

function asError(err: unknown): ResidentError {
  if (err instanceof ResidentError) return err;
  return new ResidentError(ErrorCode.Application, err instanceof Error ? err.message : String(err));
}

export type { Transport };
