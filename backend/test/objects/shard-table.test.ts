// The shard table against a real JetStream bucket, with a membership double so a member can join at an exact moment.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, startNats } from '@resident/testing';
import { Registry } from 'prom-client';
import {
  CasBucket,
  DropReporter,
  type MemberInfo,
  type Membership,
  RuntimeMetrics,
  rendezvous,
  ShardTable,
} from '../../src/objects/internal.ts';
import { quietLog, waitFor } from '../../testing/support.ts';

const SHARDS = 64;
const RECONCILE_MS = 50;

let nats: NatsCluster;
let nc: NatsConnection;

before(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.urls });
});
after(async () => {
  await nc?.close();
  await nats?.close();
});

function host(id: string): MemberInfo {
  return { id, incarnation: `${id}-1`, role: 'host', status: 'active' };
}

/** Membership as this node would see it; `join` is a peer's first heartbeat arriving. */
class Members implements Membership {
  private readonly members = new Map<string, MemberInfo>();
  private readonly listeners: (() => void)[] = [];
  constructor(readonly self: MemberInfo) {
    this.members.set(self.id, self);
  }
  alive(): ReadonlyMap<string, MemberInfo> {
    return this.members;
  }
  isAlive(id: string, incarnation: string): boolean {
    return this.members.get(id)?.incarnation === incarnation;
  }
  leaseValid(): boolean {
    return true;
  }
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
  onLeaseLapse(): void {}
  async setStatus(): Promise<void> {}
  async leave(): Promise<void> {}
  join(member: MemberInfo): void {
    this.members.set(member.id, member);
    for (const l of this.listeners) l();
  }
}

function startTable(bucket: CasBucket, membership: Membership): Promise<ShardTable> {
  const log = quietLog();
  return ShardTable.start({
    bucket,
    membership,
    shards: SHARDS,
    events: { settled() {}, lost() {}, release: async () => {} },
    log,
    metrics: new RuntimeMetrics(new Registry(), () => 0),
    drops: new DropReporter(log, () => {}),
    rebalancePerSecond: 1000,
    drainPerSecond: 1000,
    reconcileMs: RECONCILE_MS,
  });
}

test('a member that joins while the rows load counts: the node claims only its own shards and names the rest', async () => {
  const a = host('nodeA');
  const b = host('nodeB');
  const members = new Members(a);
  const starting = startTable(await CasBucket.open(nc, 'rsd_test_shards_join', {}), members);
  // start() is suspended at its first network round trip now: this join lands while the rows load.
  queueMicrotask(() => members.join(b));
  const table = await starting;
  try {
    const mine = Array.from({ length: SHARDS }, (_, s) => s).filter(
      (s) => rendezvous(s, ['nodeA', 'nodeB']) === 'nodeA',
    );
    await waitFor(() => table.ownedCount() >= mine.length, 10_000, 'nodeA to claim its shards');
    await new Promise((resolve) => setTimeout(resolve, 5 * RECONCILE_MS));
    assert.equal(table.ownedCount(), mine.length, "nodeA claimed only the shards whose choice is nodeA, not nodeB's");
    assert.match(table.pending() ?? '', new RegExp(`^${SHARDS - mine.length} of ${SHARDS} shards .*wanted on nodeB`));
  } finally {
    table.stop();
  }
});
