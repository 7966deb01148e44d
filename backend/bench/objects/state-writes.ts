// Objects' state writes to JetStream KV with and without the group commit across objects (atomic batches), both in
// this run, on a nats-server that fsyncs every write and on one that syncs on its interval: the first is where
// batches pay, the second where the commit policy should keep single writes.

import type { NatsConnection } from '@nats-io/transport-node';
import { type Figure, round, withBaseline } from '@resident/shared/bench';
import { startNats } from '@resident/testing';
import { connectNats, KvStateStore, type WriteBatches } from '../../src/objects/internal.ts';
import { closedLoop } from './load.ts';

const VALUE = new Uint8Array(100);

export async function stateWrites(writers: number, ms: number, progress: (line: string) => void): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const syncAlways of [true, false]) {
    const sync = syncAlways ? 'fsync_always' : 'interval_sync';
    const nats = await startNats({ syncAlways });
    const nc = await connectNats(nats.urls, 'bench-state-writes');
    try {
      progress(`state writes (${sync}): ${writers} objects, one write each in flight, one publish per write`);
      const single = await writesPerSecond(nc, 'writes_single', 'never', writers, ms);
      progress(`state writes (${sync}): the same, grouped across objects where batches measure cheaper`);
      const grouped = await writesPerSecond(nc, 'writes_grouped', 'auto', writers, ms);
      figures.push(
        withBaseline({
          name: `state_writes_per_s_${sync}`,
          value: round(grouped.perSecond),
          unit: 'writes/s',
          baseline: { name: `state_writes_per_s_${sync}_single`, value: round(single.perSecond) },
          ...(syncAlways ? { target: '>= 3x baseline' } : { target: '>= 0.8x baseline' }),
          note: `${writers} objects each writing again once its last write is stored (100 B); ${grouped.writesPerBatch} writes per atomic batch, ${grouped.batchedShare}% of writes batched`,
        }),
      );
    } finally {
      await nc.close();
      await nats.close();
    }
  }
  return figures;
}

async function writesPerSecond(
  nc: NatsConnection,
  bucket: string,
  writeBatches: WriteBatches,
  writers: number,
  ms: number,
) {
  const store = await KvStateStore.open(nc, { bucket, writeBatches });
  const revisions: (number | undefined)[] = new Array(writers).fill(undefined);
  const load = await closedLoop(writers, ms, async (w) => {
    revisions[w] = await store.save(`object-${w}`, VALUE, revisions[w]);
  });
  if (load.errors > 0) throw new Error(`${load.errors} state writes to ${bucket} failed`);
  const { batches, batched, singles, resent } = store.writeStats;
  return {
    perSecond: load.perSecond,
    writesPerBatch: batches > 0 ? round(batched / batches) : 0,
    batchedShare: round((100 * batched) / Math.max(1, batched + singles + resent)),
  };
}
