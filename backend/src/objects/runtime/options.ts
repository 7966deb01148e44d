import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { BeatConnection } from '../membership/beat-thread.ts';
import { isNodeId, type MemberRole } from '../membership/member.ts';
import type { ResidentClass } from '../resident-class.ts';
import type { StateStore } from '../storage/state-store.ts';

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
    /**
     * The same servers and credentials as `connection`, for heartbeats sent from a thread of their own: they then
     * flow while this node's event loop is busy, so a live node under load is not declared dead. Absent: heartbeats
     * go from the main thread on `connection`, and an event-loop stall longer than deadMs looks like a death.
     */
    readonly heartbeats?: BeatConnection;
  };
  /** Default: JetStream KV in a cluster, memory on the embedded node (the node wiring passes LMDB there). */
  readonly store?: StateStore;
  readonly shards?: number;
  readonly callTimeoutMs?: number;
  readonly idleMs?: number;
  readonly mailboxBound?: number;
  readonly maxPayloadBytes?: number;
  /** How often a member publishes its heartbeat (core NATS). */
  readonly heartbeatMs?: number;
  /** A member silent this long is suspected: logged and counted, no action (default 5 × heartbeatMs). */
  readonly suspectMs?: number;
  /** A member silent this long is declared dead and its shards move (default 1.5 × suspectMs). A node's lease is 2 heartbeats shorter. */
  readonly deadMs?: number;
  /**
   * With `nats.heartbeats`: a node whose main thread has not run for this long stops beating, so a hung node is
   * declared dead (deadMs later); shorter stalls delay its calls but move none of its shards.
   */
  readonly stallMs?: number;
  /** How often a member rewrites its members-bucket entry (discovery by newcomers; liveness is the heartbeats'). */
  readonly registryMs?: number;
  readonly rebalancePerSecond?: number;
  readonly drainPerSecond?: number;
  readonly log?: Logger;
  readonly metricsRegistry?: Registry;
}

export type ResolvedOptions = Required<Omit<RuntimeOptions, 'nats' | 'store' | 'address' | 'log' | 'metricsRegistry'>> &
  Pick<RuntimeOptions, 'nats' | 'store' | 'address'> & { log: Logger; metricsRegistry: Registry };

/** Heartbeats a member may miss before it is suspected (and 1.5 times that before it is dead). */
const SUSPECT_BEATS = 5;

const DEFAULTS = {
  role: 'host' as MemberRole,
  shards: 256,
  callTimeoutMs: 5000,
  idleMs: 120_000,
  mailboxBound: 1000,
  maxPayloadBytes: 512 * 1024,
  heartbeatMs: 200,
  stallMs: 3000,
  registryMs: 10_000,
  rebalancePerSecond: 32,
  drainPerSecond: 512,
};

export function resolveOptions(opts: RuntimeOptions): ResolvedOptions {
  const nodeId = opts.nodeId ?? `n-${randomBytes(4).toString('hex')}`;
  if (!isNodeId(nodeId)) throw new Error(`invalid node id ${JSON.stringify(nodeId)}: use 1-64 of A-Z a-z 0-9 _ -`);
  const merged = { ...DEFAULTS, ...stripUndefined(opts), nodeId };
  const suspectMs = opts.suspectMs ?? SUSPECT_BEATS * merged.heartbeatMs;
  return {
    ...merged,
    suspectMs,
    deadMs: opts.deadMs ?? 1.5 * suspectMs,
    log: opts.log ?? pino({ level: process.env.LOG_LEVEL ?? 'info' }),
    metricsRegistry: opts.metricsRegistry ?? new Registry(),
  } as ResolvedOptions;
}

/** The cluster's name, which prefixes its subjects and buckets; `default` unless given. */
export function clusterName(options: Pick<RuntimeOptions, 'nats'>): string {
  return options.nats?.cluster ?? 'default';
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
