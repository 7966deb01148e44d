import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ObjectRuntime } from '../../src/objects/index.ts';
import { MemoryStateStore } from '../../src/objects/internal.ts';
import { ALL, Counter } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';
import { keysOn, quietLog, waitFor } from '../../testing/support.ts';

function metric(text: string, name: string, label: string): number {
  const m = text.match(new RegExp(`^${name}\\{${label}\\} (\\d+)`, 'm'));
  return m ? Number(m[1]) : 0;
}

describe('single writer', () => {
  test('a stale activation cannot overwrite newer state: its commit fails and nothing it did is kept', async () => {
    // Two embedded runtimes over one store both believe they own everything: the worst case fencing must survive.
    const store = new MemoryStateStore();
    const a = await ObjectRuntime.start({ classes: ALL, store, log: quietLog(), callTimeoutMs: 300 });
    const b = await ObjectRuntime.start({ classes: ALL, store, log: quietLog(), callTimeoutMs: 300 });
    try {
      assert.equal(await a.get(Counter, 'k').add(1), 1);
      assert.equal(await b.get(Counter, 'k').add(10), 11, 'b activated from the stored state');
      // a's activation is stale: its commit must fail, and its retry must start from the stored state
      assert.equal(await a.get(Counter, 'k').add(100), 111);
      const commits = await a.metricsRegistry.getSingleMetricAsString('resident_commits_total');
      assert.match(commits, /outcome="conflict"} 1/);
    } finally {
      await a.stop({ drain: false });
      await b.stop({ drain: false });
    }
  });

  describe('a node cut off from NATS (SIGSTOP) while another takes its objects over', () => {
    let cluster: RuntimeCluster;
    before(async () => {
      cluster = await startRuntimeCluster({ nodes: 3 });
    });
    after(() => cluster?.close());

    test('its later work is refused and the state holds exactly the acknowledged changes', async () => {
      const client = await cluster.client();
      const [key = ''] = keysOn(client, Counter, 'node1', 1, 'sw');
      const c = client.get(Counter, key);
      for (let i = 0; i < 10; i++) await c.add(1);
      const node1 = cluster.node('node1');
      node1.pause();
      // Delivered to the paused node's socket; it will run there when the node wakes up, long after node1 was
      // declared dead. The caller resends it under the same call id, and the new owner answers it.
      const stranded = client.get(Counter, key, { timeoutMs: 30_000 }).add(100);
      assert.equal(await stranded, 110, 'the resend ran on the new owner');
      assert.notEqual(client.locate(Counter, key), 'node1');
      for (let i = 0; i < 5; i++) await c.add(1);
      node1.resume();
      await waitFor(
        async () => metric(await cluster.metrics('node1'), 'resident_shard_moves_total', 'kind="lost"') > 0,
        10_000,
        'node1 to notice it lost its shards',
      );
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await c.get(), 115, 'exactly the acknowledged changes: the stranded call once, not twice');
      assert.notEqual(client.locate(Counter, key), undefined);
    });
  });
});
