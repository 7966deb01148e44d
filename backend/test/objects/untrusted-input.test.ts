// What a node reads from NATS is checked before use: inbox batches and frames, and the entries of the members and
// shards buckets. Garbage is published with plain NATS clients to the real subjects and buckets of a running
// cluster; the nodes drop and count it, and go on serving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pack } from 'msgpackr';
import type { ObjectRuntime } from '../../src/objects/index.ts';
import {
  type CallFrame,
  DropReporter,
  decodeBatch,
  encodeBatch,
  encodeStateKey,
  inboxSubject,
  internals,
  NatsTransport,
  packValue,
  shardOf,
  unpackValue,
} from '../../src/objects/internal.ts';
import { Alarm, Counter, Echo } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';
import { droppedIn, quietLog, waitFor } from '../../testing/support.ts';

const NODES = ['node1', 'node2'] as const;

let cluster: RuntimeCluster;
let client: ObjectRuntime;
let raw: NatsConnection;

before(async () => {
  cluster = await startRuntimeCluster({ nodes: 2 });
  client = await cluster.client();
  raw = await connect({ servers: cluster.nats.urls });
});
after(async () => {
  await raw?.close();
  await cluster?.close();
});

async function dropped(node: string, kind: string): Promise<number> {
  return droppedIn(await cluster.metrics(node), kind);
}

/** Both node processes are up and answer calls for objects they own. */
async function assertServing(prefix: string): Promise<void> {
  for (const node of NODES) assert.ok(cluster.node(node).running, `${node} is still running`);
  const where = await Promise.all(Array.from({ length: 30 }, (_, i) => client.get(Echo, `${prefix}${i}`).where()));
  assert.deepEqual(new Set(where), new Set(NODES), 'objects on both nodes answer');
}

function call(id: number, fields: Partial<CallFrame> = {}): CallFrame {
  return { id, cls: 'Echo', key: 'probe', method: 'where', args: pack([]), chain: '', timeoutMs: 2000, ...fields };
}

/** Publishes a batch to a node's inbox as `from`, and returns the reply frames that come back to `from`. */
async function exchange(node: string, from: string, calls: CallFrame[], expect: number) {
  const inbox = raw.subscribe(inboxSubject(cluster.name, from), { timeout: 5000 });
  await raw.flush();
  raw.publish(inboxSubject(cluster.name, node), encodeBatch({ from, calls, replies: [] }));
  const replies = [];
  for await (const msg of inbox) {
    replies.push(...decodeBatch(msg.data).replies);
    if (replies.length >= expect) break;
  }
  inbox.unsubscribe();
  return replies.sort((a, b) => a.id - b.id);
}

describe('inbox batches and frames', () => {
  test('a batch whose sender is not a node id is dropped, and the node lives on (it used to exit)', async () => {
    const before = await Promise.all(NODES.map((n) => dropped(n, 'bad_sender')));
    const senders = ['x y', '', 'a.b', '*', '>', 'tab\there', 'x'.repeat(65)];
    for (const node of NODES) {
      for (const from of senders)
        raw.publish(inboxSubject(cluster.name, node), encodeBatch({ from, calls: [call(1)], replies: [] }));
    }
    await raw.flush();
    await assertServing('sender');
    for (const [i, node] of NODES.entries()) {
      await waitFor(
        async () => (await dropped(node, 'bad_sender')) === before[i]! + senders.length,
        5000,
        `${node} counting`,
      );
    }
  });

  test('malformed call frames get an error reply naming the problem; the good frame next to them runs', async () => {
    const calls = [
      call(1, { cls: '' }),
      call(2, { method: 'm'.repeat(200) }),
      call(3, { key: 'k'.repeat(5000) }),
      call(4, { chain: 'c'.repeat(300) }),
      call(5, { timeoutMs: 0 }),
      call(6, { key: 'good-one' }),
    ];
    const node = client.locate(Echo, 'good-one')!;
    const before = await dropped(node, 'bad_call');
    const replies = await exchange(node, 'probe1', calls, calls.length);
    assert.deepEqual(
      replies.slice(0, 5).map((r) => [r.id, r.errorCode, r.errorMessage?.startsWith('malformed call frame: ')]),
      [1, 2, 3, 4, 5].map((id) => [id, 'Serialization', true]),
    );
    assert.equal(replies[5]!.errorCode, '', 'the well-formed call ran');
    assert.equal(await dropped(node, 'bad_call'), before + 5);
    await assertServing('calls');
  });

  test('malformed replies and oversized batches are dropped and counted', async () => {
    const before = await Promise.all([dropped('node1', 'bad_reply'), dropped('node1', 'too_many_frames')]);
    const inbox = inboxSubject(cluster.name, 'node1');
    raw.publish(inbox, encodeBatch({ from: 'probe2', calls: [], replies: [{ id: 9, errorCode: 'E'.repeat(500) }] }));
    const flood = Array.from({ length: 5000 }, (_, id) => ({ id, errorCode: 'NotOwner' }));
    raw.publish(inbox, encodeBatch({ from: 'probe2', calls: [], replies: flood }));
    await raw.flush();
    await waitFor(
      async () => (await dropped('node1', 'too_many_frames')) === before[1]! + 1,
      5000,
      'the flood counted',
    );
    assert.equal(await dropped('node1', 'bad_reply'), before[0]! + 1);
    await assertServing('replies');
  });
});

describe('sending', () => {
  test('a flush with one unusable destination still delivers to the others, and does not throw', async () => {
    const nc = await connect({ servers: cluster.nats.urls });
    const counted: string[] = [];
    const drops = new DropReporter(quietLog(), (kind) => counted.push(kind));
    const transport = new NatsTransport(nc, cluster.name, 'flusher', { onCall() {}, onReply() {} }, drops);
    const good = raw.subscribe(inboxSubject(cluster.name, 'good'), { max: 1, timeout: 5000 });
    await raw.flush();
    transport.send('x y', { kind: 'reply', reply: { id: 1 } }); // queued first, flushed first
    transport.send('good', { kind: 'reply', reply: { id: 2 } });
    for await (const msg of good)
      assert.deepEqual(
        decodeBatch(msg.data).replies.map((r) => r.id),
        [2],
      );
    assert.deepEqual(counted, ['unsendable']);
    await nc.close();
    transport.send('good', { kind: 'reply', reply: { id: 3 } });
    await transport.close(); // flushes onto a closed connection: dropped and counted, not thrown
    assert.deepEqual(counted, ['unsendable', 'unsendable']);
  });
});

describe('the members and shards buckets', () => {
  test('garbage in both buckets stops no watch, declares no member dead and splits no object', async () => {
    const kvm = new Kvm(raw);
    const members = await kvm.open(`rsd_${cluster.name}_members`);
    const shards = await kvm.open(`rsd_${cluster.name}_shards`);
    const incarnations = new Map([...client.membership.alive()].map(([id, m]) => [id, m.incarnation]));
    const lapses: string[] = [];
    client.membership.onChange(() => {
      for (const [id, inc] of incarnations) if (!internals(client).membership.isAlive(id, inc)) lapses.push(id);
    });
    const before = await Promise.all(['member_entry', 'shard_row', 'shard_key'].map((kind) => dropped('node1', kind)));

    const member = { id: 'ghost', incarnation: 'abc', role: 'host', status: 'active', seq: 1 };
    // Over live members' own keys: their next heartbeat may replace the garbage before a watch delivers it (a
    // bucket keeps one revision per key), so those are not counted; every other entry has a key of its own.
    const overLive: [string, string | Uint8Array][] = [
      ['node1', 'this is { not JSON'],
      ['node2', new Uint8Array([0xff, 0xfe, 0x00])],
    ];
    const ghosts: (string | Uint8Array)[] = [
      'null',
      '[1,2,3]',
      JSON.stringify({ ...member, seq: 1e308 }),
      JSON.stringify({ ...member, id: ['ghost'] }),
      JSON.stringify({ ...member, role: 'king' }),
      `{"id":${'['.repeat(5000)}`,
    ];
    const memberGarbage = [...overLive, ...ghosts.map((v, i): [string, string | Uint8Array] => [`ghost${i}`, v])];
    const shardGarbage: [string, string][] = [
      ['s0', 'not json'],
      ['s1', JSON.stringify({ owner: 'node1', incarnation: 'zzz', epoch: 1e308 })],
      ['s2', JSON.stringify({ owner: 42, incarnation: [], epoch: 'one' })],
      ['s3', '[]'],
      ['s007', JSON.stringify({ owner: 'node1', incarnation: 'x', epoch: 1 })],
      ['zzz', 'x'],
    ];

    // A steady load of increments while the garbage lands: a split would lose or double some of them.
    const keys = Array.from({ length: 40 }, (_, i) => `split${i}`);
    let acknowledged = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        await Promise.all(keys.map((k) => client.get(Counter, k).add(1)));
        acknowledged++;
      }
    })();
    for (const [key, value] of memberGarbage) await members.put(key, value);
    for (const [key, value] of shardGarbage) await shards.put(key, value);
    await new Promise((r) => setTimeout(r, 3000)); // three times the time after which silence means dead
    stop = true;
    await load;

    assert.deepEqual(lapses, [], 'no member was ever missing');
    for (const node of NODES) assert.ok(cluster.node(node).running);
    const counts = await Promise.all(keys.map((k) => client.get(Counter, k).get()));
    assert.deepEqual(
      new Set(counts),
      new Set([acknowledged]),
      'every object counted every acknowledged increment once',
    );
    await waitFor(
      () => internals(client).placement.settled(),
      10_000,
      'the shards with garbage rows to be claimed again',
    );
    for (const key of ['s0', 's1', 's2', 's3']) {
      const row = (await shards.get(key))?.json<{ owner: string }>();
      assert.ok(row && NODES.includes(row.owner as (typeof NODES)[number]), `${key} has a real owner again`);
    }
    const after = await Promise.all(['member_entry', 'shard_row', 'shard_key'].map((kind) => dropped('node1', kind)));
    assert.ok(after[0]! >= before[0]! + ghosts.length, `member entries counted (${after[0]})`);
    assert.ok(after[1]! >= before[1]! + 4, `shard rows counted (${after[1]})`);
    assert.ok(after[2]! >= before[2]! + 2, `shard keys counted (${after[2]})`);
    await assertServing('buckets');
  });
});

describe('bucket watches', () => {
  test('watches whose consumers were deleted on the server start again; the cluster recovers', async () => {
    const jsm = await jetstreamManager(raw);
    const before = await Promise.all(NODES.map((n) => dropped(n, 'kv_watch')));
    for (const bucket of ['members', 'shards']) {
      const stream = `KV_rsd_${cluster.name}_${bucket}`;
      for await (const consumer of jsm.consumers.list(stream)) await jsm.consumers.delete(stream, consumer.name);
    }
    await waitFor(
      async () =>
        (await Promise.all(NODES.map((n, i) => dropped(n, 'kv_watch').then((d) => d > before[i]!)))).every(Boolean),
      10_000,
      'both nodes to notice their stalled watches',
    );
    await waitFor(
      () => NODES.every((n) => client.membership.alive().has(n)) && internals(client).placement.settled(),
      10_000,
      'every member seen again and placement settled',
    );
    await assertServing('watch');
  });
});

describe('reminder records in the state bucket', () => {
  test('malformed records are left out when a node loads them; it neither crashes nor stops firing', async () => {
    const state = await new Kvm(raw).open(`rsd_${cluster.name}_state`);
    const record = (shard: number) => encodeStateKey(`__reminders/${shard}`);
    // A well-formed reminder of an Alarm in each shard, next to the malformed ones.
    const alarms = new Map<number, string>();
    for (let i = 0; alarms.size < 256; i++)
      if (!alarms.has(shardOf(`Alarm/a${i}`, 256))) alarms.set(shardOf(`Alarm/a${i}`, 256), `a${i}`);
    const kinds = [
      (shard: number) =>
        packValue({
          'Echo/a': { r: null },
          noslash: { r: { due: 0, period: 0 } },
          'Echo/b': 5,
          [`Alarm/${alarms.get(shard)}`]: { ok: { due: 0, period: 0 } },
        }),
      () => new Uint8Array([0xc1, 0xc1]),
      () => packValue({ 'Nope/x': { r: { due: 0, period: 0 } } }), // a class no node hosts
      () => packValue([1, 2, 3]),
      () => packValue({ 'Echo/c': { r: { due: Number.NaN, period: -1 } } }),
    ];
    // Every shard's record, so the node that joins next loads some of each kind when it gains its shards.
    for (let shard = 0; shard < 256; shard++) await state.put(record(shard), kinds[shard % kinds.length]!(shard));
    const node3 = await cluster.addNode('node3');
    await waitFor(
      () => internals(client).placement.settled() && client.membership.alive().has('node3'),
      20_000,
      'node3 in',
    );
    await new Promise((r) => setTimeout(r, 1000)); // several reminder ticks
    for (const node of [...NODES, 'node3']) assert.ok(cluster.node(node).running, `${node} is still running`);
    assert.ok(node3.running);
    const where = await Promise.all(Array.from({ length: 60 }, (_, i) => client.get(Echo, `rem${i}`).where()));
    assert.deepEqual(new Set(where), new Set([...NODES, 'node3']));
    // node3 loaded the records of the shards it gained (the others were loaded before the garbage was written).
    const loaded = Array.from({ length: 256 }, (_, s) => s).filter(
      (s) => internals(client).placement.route(s) === 'node3',
    );
    const unknownClass = loaded.filter((s) => s % kinds.length === 2);
    assert.ok(unknownClass.length > 0, 'node3 gained shards whose record names an unknown class');
    const good = loaded.filter((s) => s % kinds.length === 0).map((s) => client.get(Alarm, alarms.get(s)!));
    assert.ok(good.length > 0);
    await waitFor(
      async () => (await Promise.all(good.map((a) => a.fired()))).every((f) => f.includes('ok')),
      10_000,
      'the well-formed reminders next to malformed ones to fire',
    );
    await waitFor(
      async () => {
        for (const shard of unknownClass) {
          const entry = await state.get(record(shard));
          if (entry && 'Nope/x' in (unpackValue(entry.value) as object)) return false;
        }
        return true;
      },
      10_000,
      'reminders of a class nobody hosts removed from their records',
    );
  });
});
