import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { ErrorCode, type ObjectRuntime, ResidentError } from '../../src/objects/index.ts';
import { decodeBatch, encodeBatch, inboxSubject } from '../../src/objects/internal.ts';
import { Counter, Echo, Hop } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';

describe('cluster: calls across nodes', () => {
  let cluster: RuntimeCluster;
  let client: ObjectRuntime;
  before(async () => {
    cluster = await startRuntimeCluster({ nodes: 2 });
    client = await cluster.client();
  });
  after(() => cluster?.close());

  test('objects spread over the hosts and answer from their owner', async () => {
    const where = await Promise.all(Array.from({ length: 40 }, (_, i) => client.get(Echo, `k${i}`).where()));
    assert.deepEqual(new Set(where), new Set(['node1', 'node2']));
    const again = await Promise.all(Array.from({ length: 40 }, (_, i) => client.get(Echo, `k${i}`).where()));
    assert.deepEqual(again, where, 'each object stays where it is');
  });

  test('durable state and reentrant chains work across nodes', async () => {
    const c = client.get(Counter, 'x');
    await Promise.all(Array.from({ length: 50 }, () => c.add(1)));
    assert.equal(await c.get(), 50);
    // find two keys on different nodes for a cross-node A→B→A
    const keys = Array.from({ length: 200 }, (_, i) => `h${i}`);
    const a = keys.find((k) => client.locate(Hop, k) === 'node1')!;
    const b = keys.find((k) => client.locate(Hop, k) === 'node2')!;
    assert.deepEqual(await client.get(Hop, a).ring([b], a), [a, b, `${a}:touched`]);
  });

  test("many objects' commits are stored, and each node counts how its state writes went (batched or singly)", async () => {
    const counters = Array.from({ length: 200 }, (_, i) => client.get(Counter, `many-${i}`));
    assert.deepEqual(
      await Promise.all(counters.map((c) => c.add(2))),
      counters.map(() => 2),
    );
    assert.deepEqual(
      await Promise.all(counters.map((c) => c.get())),
      counters.map(() => 2),
    );
    let writes = 0;
    for (const node of ['node1', 'node2']) {
      const text = await cluster.metrics(node);
      assert.match(text, /^# TYPE resident_state_write_batches_total counter/m);
      for (const how of ['batched', 'single', 'resent']) {
        const m = new RegExp(`^resident_state_writes_total\\{how="${how}"\\} (\\d+)`, 'm').exec(text);
        assert.ok(m, `${node} counts ${how} writes`);
        writes += Number(m[1]);
      }
    }
    assert.ok(writes >= counters.length, `${writes} state writes for ${counters.length} objects`);
  });

  test('garbage on a node inbox is counted and the node keeps serving', async () => {
    const nc = await connect({ servers: cluster.nats.urls });
    for (const bytes of [Buffer.from('not protobuf at all'), Buffer.from([0x0a, 0xff, 0xff]), new Uint8Array(0)]) {
      nc.publish(inboxSubject(cluster.name, 'node1'), bytes);
      nc.publish(inboxSubject(cluster.name, 'node2'), bytes);
    }
    await nc.flush();
    await nc.close();
    const where = await Promise.all(Array.from({ length: 20 }, (_, i) => client.get(Echo, `g${i}`).where()));
    assert.equal(where.length, 20);
    for (const node of ['node1', 'node2']) {
      const text = await cluster.metrics(node);
      const counted = [...text.matchAll(/^resident_inbox_garbage_total\{[^}]*\} (\d+)/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
      assert.equal(counted, 3, `${node} counted every garbage message:\n${text.slice(0, 300)}`);
    }
  });

  test('a call frame for an unknown class or method gets a clear error reply', async () => {
    const nc = await connect({ servers: cluster.nats.urls });
    const replies = nc.subscribe(inboxSubject(cluster.name, 'probe'), { timeout: 5000 });
    await nc.flush();
    const call = { key: 'k', args: new Uint8Array([0x90]), chain: 'probe:1', timeoutMs: 1000 };
    const batch = encodeBatch({
      from: 'probe',
      calls: [
        { ...call, id: 1, cls: 'Nope', method: 'add' },
        { ...call, id: 2, cls: 'Counter', method: 'nope' },
      ],
      replies: [],
    });
    nc.publish(inboxSubject(cluster.name, 'node1'), batch);
    const got: string[] = [];
    for await (const msg of replies) {
      for (const r of decodeBatch(msg.data).replies) got.push(`${r.id} ${r.errorCode}: ${r.errorMessage}`);
      if (got.length >= 2) break; // the node may batch both replies into one message
    }
    await nc.close();
    assert.deepEqual(got.sort(), [
      '1 UnknownClass: no object class named "Nope"',
      '2 UnknownMethod: Counter has no callable method "nope"',
    ]);
  });

  test('oversized arguments and results are rejected with a clear error', async () => {
    const e = client.get(Echo, 'big');
    const err = await e.keep('y'.repeat(600 * 1024)).then(
      () => assert.fail('should fail'),
      (x: unknown) => x as ResidentError,
    );
    assert.ok(err instanceof ResidentError);
    assert.equal(err.code, ErrorCode.PayloadTooLarge);
    assert.match(err.message, /exceeds the 524288-byte limit/);
    const err2 = await e.big(600 * 1024).then(
      () => assert.fail('should fail'),
      (x: unknown) => x as ResidentError,
    );
    assert.equal(err2.code, ErrorCode.PayloadTooLarge);
    assert.equal(await e.where().then((w) => typeof w), 'string', 'still serving');
  });
});

describe('cluster: production shape (R3 buckets on a 3-server NATS cluster)', () => {
  let cluster: RuntimeCluster;
  before(async () => {
    cluster = await startRuntimeCluster({ nodes: 2, natsServers: 3, replicas: 3 });
  });
  after(() => cluster?.close());

  test('calls keep working when a NATS server dies, and no acknowledged increment is lost', async () => {
    const client = await cluster.client();
    const keys = Array.from({ length: 50 }, (_, i) => `r3-${i}`);
    const acked = new Map<string, number>();
    let ambiguous = 0;
    const round = async () => {
      await Promise.all(
        keys.map(async (k) => {
          for (let attempt = 0; attempt < 50; attempt++) {
            try {
              await client.get(Counter, k, { timeoutMs: 3000 }).add(1);
              acked.set(k, (acked.get(k) ?? 0) + 1);
              return;
            } catch (err) {
              if (!(err instanceof ResidentError)) throw err;
              if (err.code === ErrorCode.Timeout || err.code === ErrorCode.NodeLost) ambiguous++;
              await new Promise((r) => setTimeout(r, 50));
            }
          }
          assert.fail(`${k} never answered`);
        }),
      );
    };
    for (let i = 0; i < 5; i++) await round();
    await cluster.nats.servers[0]!.kill();
    for (let i = 0; i < 5; i++) await round();
    for (const k of keys) {
      const n = await client.get(Counter, k, { timeoutMs: 5000 }).get();
      if (ambiguous === 0) assert.equal(n, acked.get(k), `${k}: exactly the acknowledged increments`);
      else assert.ok(n >= acked.get(k)!, `${k}: an acknowledged increment is missing`);
    }
  });
});
