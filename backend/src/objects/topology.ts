import { type BucketKind, bucketName, checkClusterName } from '@resident/shared/nats';
import { DropReporter } from './drop-reporter.ts';
import type { MemberInfo, Membership } from './membership/member.ts';
import { SoloMembership } from './membership/member.ts';
import { MemberEntryCodec } from './membership/member-entry.ts';
import { NatsMembership } from './membership/nats-membership.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { type Placement, type PlacementEvents, SoloPlacement } from './placement/placement.ts';
import { ShardTable } from './placement/shard-table.ts';
import { clusterName, type ResolvedOptions } from './runtime/options.ts';
import { KvStateStore } from './storage/kv-store.ts';
import { MemoryStateStore } from './storage/memory-store.ts';
import type { StateStore } from './storage/state-store.ts';
import { CasBucket } from './transport/cas-bucket.ts';
import { type InboundHandler, NatsTransport } from './transport/nats-transport.ts';
import { NoPeersTransport, type Transport } from './transport/transport.ts';

/** The parts that differ between the embedded single node and a NATS cluster member. */
export interface Topology {
  readonly membership: Membership;
  readonly placement: Placement;
  readonly transport: Transport;
  readonly store: StateStore;
  /** Starts handing inbound calls to the runtime; called once the runtime holds this topology. */
  open(): void;
  close(): Promise<void>;
}

export async function buildTopology(
  options: ResolvedOptions,
  self: MemberInfo,
  events: PlacementEvents,
  inbound: InboundHandler,
  metrics: RuntimeMetrics,
): Promise<Topology> {
  if (!options.nats) return solo(options, self);
  const nc = options.nats.connection;
  const cluster = clusterName(options);
  checkClusterName(cluster);
  const key = membershipKey(options, self);
  const codec = new MemberEntryCodec(cluster, key);
  const replicas = options.nats.replicas ?? 1;
  // The names come from @resident/shared/nats, whose node role grants exactly these buckets.
  const bucket = (kind: BucketKind) => CasBucket.open(nc, bucketName(cluster, kind), { replicas });
  const store = options.store ?? (await KvStateStore.open(nc, { bucket: bucketName(cluster, 'state'), replicas }));
  const drops = new DropReporter(options.log, (kind) => metrics.garbage(kind));
  const transport = new NatsTransport(nc, cluster, self.id, inbound, drops);
  void transport.watchStatus();
  metrics.watchNats(transport);
  await nc.flush(); // the inbox subscription is live before anyone can route to us
  const membership = await NatsMembership.join({
    bucket: await bucket('members'),
    nc,
    cluster,
    self,
    log: options.log,
    metrics,
    heartbeatMs: options.heartbeatMs,
    suspectMs: options.suspectMs,
    deadMs: options.deadMs,
    registryMs: options.registryMs,
    stallMs: options.stallMs,
    beatConnection: options.nats.heartbeats,
    key,
    codec,
    drops,
  });
  const placement = await ShardTable.start({
    bucket: await bucket('shards'),
    membership,
    shards: options.shards,
    events,
    log: options.log,
    metrics,
    drops,
    rebalancePerSecond: options.rebalancePerSecond,
    drainPerSecond: options.drainPerSecond,
    reconcileMs: options.heartbeatMs,
  });
  return {
    membership,
    placement,
    transport,
    store,
    open: () => transport.open(),
    async close() {
      placement.stop();
      await membership.leave();
      await transport.close();
      if (!options.store) await store.close();
    },
  };
}

/**
 * Hosts must check who their peers are, so they need the key; a caller-only client may go without (a tool that was
 * not given the cluster's secret): it then writes unsigned entries, which hosts drop, and trusts what it reads.
 */
function membershipKey(options: ResolvedOptions, self: MemberInfo): Uint8Array | undefined {
  const key = options.nats?.membershipKey;
  if (key === undefined && self.role === 'host')
    throw new Error(
      'a cluster host needs nats.membershipKey (at least 32 bytes shared by every node; backend nodes derive it from --auth-secret)',
    );
  if (key === undefined) options.log.warn('no nats.membershipKey: this client cannot check who the members are');
  return key;
}

function solo(options: ResolvedOptions, self: MemberInfo): Topology {
  const store = options.store ?? new MemoryStateStore();
  return {
    membership: new SoloMembership(self),
    placement: new SoloPlacement(options.shards, self.id),
    transport: new NoPeersTransport(),
    store,
    open() {},
    async close() {
      if (!options.store) await store.close();
    },
  };
}
