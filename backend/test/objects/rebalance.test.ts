import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ObjectRuntime } from '../../src/objects/index.ts';
import { internals } from '../../src/objects/internal.ts';
import { Counter } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';
import { waitFor } from '../../testing/support.ts';

/** Callers that keep incrementing while the cluster changes; every failure is kept for the assertion. */
class Load {
  readonly acked = new Map<string, number>();
  readonly failures: string[] = [];
  calls = 0;
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(client: ObjectRuntime, keys: string[], width: number) {
    this.loops = Array.from({ length: width }, (_, w) => this.loop(client, keys, w));
  }

  private async loop(client: ObjectRuntime, keys: string[], w: number): Promise<void> {
    for (let i = w; this.running; i += 7) {
      const key = keys[i % keys.length]!;
      try {
        await client.get(Counter, key, { timeoutMs: 10_000 }).add(1);
        this.acked.set(key, (this.acked.get(key) ?? 0) + 1);
        this.calls++;
      } catch (err) {
        this.failures.push(`${key}: ${String(err)}`);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

describe('drain and rebalance', () => {
  let cluster: RuntimeCluster;
  before(async () => {
    cluster = await startRuntimeCluster({ nodes: 3, runtime: { rebalancePerSecond: 20 } });
  });
  after(() => cluster?.close());

  test('a rolling restart (SIGTERM, start again) through 3 nodes fails no call', async () => {
    const client = await cluster.client();
    const keys = Array.from({ length: 300 }, (_, i) => `roll${i}`);
    const load = new Load(client, keys, 32);
    for (const id of ['node1', 'node2', 'node3']) {
      const node = cluster.node(id);
      const before = load.calls;
      await node.drain();
      await node.start();
      await waitFor(() => load.calls > before + 200, 20_000, `calls to continue after restarting ${id}`);
    }
    await load.stop();
    assert.deepEqual(load.failures.slice(0, 5), [], `${load.failures.length} calls failed`);
    for (const [key, n] of load.acked)
      assert.equal(await client.get(Counter, key).get(), n, `${key} lost or gained increments`);
  });

  test('a 4th node receives its share of objects, moved at the configured rate', async () => {
    const client = await cluster.client();
    const keys = Array.from({ length: 400 }, (_, i) => `join${i}`);
    const load = new Load(client, keys, 16);
    await waitFor(() => load.calls > 400, 20_000, 'objects to be active');
    const joinedAt = performance.now();
    await cluster.addNode('node4');
    await waitFor(() => keys.some((k) => client.locate(Counter, k) === 'node4'), 10_000, 'first move to node4');
    const shardsOnNode4 = () => {
      let n = 0;
      for (let s = 0; s < internals(client).placement.shards; s++)
        if (internals(client).placement.route(s) === 'node4') n++;
      return n;
    };
    await waitFor(() => shardsOnNode4() >= 40, 30_000, 'node4 to own its share of shards');
    const elapsedS = (performance.now() - joinedAt) / 1000;
    await load.stop();
    const share = shardsOnNode4() / internals(client).placement.shards;
    assert.ok(share > 0.15 && share < 0.35, `node4 owns ${(share * 100).toFixed(0)}% of shards`);
    // three old nodes each hand over at most 20 shards/s: 40+ shards need well over half a second
    assert.ok(elapsedS >= 40 / 60, `moves were not rate-limited: ${elapsedS.toFixed(2)} s`);
    assert.deepEqual(load.failures.slice(0, 5), [], `${load.failures.length} calls failed`);
    const onNode4 = keys.filter((k) => client.locate(Counter, k) === 'node4');
    assert.ok(onNode4.length > 40, `${onNode4.length} of 400 objects moved to node4`);
    for (const [key, n] of load.acked)
      assert.equal(await client.get(Counter, key).get(), n, `${key} lost or gained increments`);
  });

  test('every node draining at once (a whole-cluster stop) ends instead of waiting for a taker', async () => {
    const client = await cluster.client();
    await Promise.all(Array.from({ length: 50 }, (_, i) => client.get(Counter, `bye${i}`).add(1)));
    const running = cluster.nodes.filter((n) => n.running);
    const started = performance.now();
    await Promise.all(running.map((n) => n.drain()));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 15, `all nodes stopped after ${seconds.toFixed(1)} s`);
    assert.ok(running.every((n) => !n.running));
  });
});
