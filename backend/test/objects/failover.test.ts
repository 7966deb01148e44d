import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, type ObjectRuntime, ResidentError } from '../../src/objects/index.ts';
import { Alarm, Counter } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';
import { keysOn, pool, waitFor } from '../../testing/support.ts';

/** Calls until the object answers; counts errors that leave the outcome unknown (the call may have run). */
async function addUntilAcked(
  client: ObjectRuntime,
  key: string,
  ambiguous: { n: number; firstAt: number },
): Promise<number> {
  for (;;) {
    try {
      return await client.get(Counter, key, { timeoutMs: 2000 }).add(1);
    } catch (err) {
      if (!(err instanceof ResidentError)) throw err;
      if (err.code === ErrorCode.Timeout || err.code === ErrorCode.NodeLost) ambiguous.n++;
      ambiguous.firstAt ||= performance.now();
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('failover: kill -9 the node hosting 10,000 objects', () => {
  let cluster: RuntimeCluster;
  before(async () => {
    cluster = await startRuntimeCluster({ nodes: 3 });
  });
  after(() => cluster?.close());

  test('every object answers from a survivor with every acknowledged increment', async () => {
    const client = await cluster.client();
    const keys = keysOn(client, Counter, 'node1', 10_000, 'f');
    const t0 = performance.now();
    await pool(keys, 512, async (k) => {
      assert.equal(await client.get(Counter, k).add(1), 1);
    });
    console.log(`10,000 first increments on node1: ${Math.round(performance.now() - t0)} ms`);
    const victim = cluster.node('node1');
    const killedAt = performance.now();
    await victim.kill();
    const ambiguous = { n: 0, firstAt: 0 };
    const values = new Map<string, number>();
    let firstAck = 0;
    await pool(keys, 512, async (k) => {
      values.set(k, await addUntilAcked(client, k, ambiguous));
      firstAck ||= performance.now() - killedAt;
    });
    const failoverS = (performance.now() - killedAt) / 1000;
    console.log(
      `failover of 10,000 objects: first answer after ${Math.round(firstAck)} ms, all after ${failoverS.toFixed(2)} s; ambiguous errors: ${ambiguous.n}${ambiguous.n ? ` (first after ${Math.round(ambiguous.firstAt - killedAt)} ms)` : ''}`,
    );
    for (const k of keys) {
      const v = values.get(k)!;
      assert.ok(v >= 2, `${k}: the acknowledged first increment is missing (value ${v})`);
    }
    if (ambiguous.n === 0) for (const k of keys) assert.equal(values.get(k), 2, `${k} has an unacknowledged increment`);
    const survivors = new Set(keys.map((k) => client.locate(Counter, k)));
    assert.ok(!survivors.has('node1'), 'no object is routed to the dead node');
    // How fast is a benchmark figure (bench:objects, failover_s; target 3 s), printed above, not asserted here.
  });

  test('a reminder set on the dead node fires on its new owner', async () => {
    const client = await cluster.client();
    const alive = cluster.nodes.filter((n) => n.running).map((n) => n.id);
    const owner = alive[0]!;
    const [key = ''] = keysOn(client, Alarm, owner, 1, 'r');
    await client.get(Alarm, key).arm('later', 1500);
    await cluster.node(owner).kill();
    await waitFor(
      async () => {
        const fired = await client
          .get(Alarm, key, { timeoutMs: 1000 })
          .fired()
          .catch(() => [] as string[]);
        return fired.includes('later');
      },
      10_000,
      'the reminder to fire after failover',
    );
    const firedOn = await client.get(Alarm, key).firedOn();
    assert.ok(!firedOn.includes(owner), `fired on the new owner, not ${owner}: ${firedOn}`);
  });
});
