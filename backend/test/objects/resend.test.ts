// A call whose outcome is unknown is resent under its own call id, and the object's owner runs a call id at most
// once: duplicates on the wire, resends after a node dies (before or after it stored the call), and replayed ids
// from other senders. Call frames are published with a plain NATS client, as a peer node would send them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pack } from 'msgpackr';
import { ErrorCode, type ObjectRuntime } from '../../src/objects/index.ts';
import {
  type CallFrame,
  decodeBatch,
  decodeStateRecord,
  encodeBatch,
  encodeStateKey,
  encodeStateRecord,
  inboxSubject,
  MAX_REMEMBERED_CALLS,
  MAX_REMEMBERED_REPLY_BYTES,
  packValue,
  unpackValue,
} from '../../src/objects/internal.ts';
import { Counter, Echo } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';
import { keysOn, waitFor } from '../../testing/support.ts';

let cluster: RuntimeCluster;
let client: ObjectRuntime;
let raw: NatsConnection;

before(async () => {
  cluster = await startRuntimeCluster({ nodes: 3 });
  client = await cluster.client();
  raw = await connect({ servers: cluster.nats.urls });
});
after(async () => {
  await raw?.close();
  await cluster?.close();
});

const EPOCH = 0x5eed;

function call(id: number, key: string, callSeq: number, fields: Partial<CallFrame> = {}): CallFrame {
  const frame = { id, cls: 'Counter', key, method: 'add', args: pack([1]), chain: '', timeoutMs: 5000 };
  return { ...frame, callSeq, callerEpoch: EPOCH, ...fields };
}

interface Answer {
  readonly value?: unknown;
  readonly code?: string;
  readonly message?: string;
}

/** Publishes one batch to `node` as `from` and returns the answers to its calls, in call order. */
async function exchange(node: string, from: string, calls: CallFrame[]): Promise<Answer[]> {
  const inbox = raw.subscribe(inboxSubject(cluster.name, from), { timeout: 10_000 });
  await raw.flush();
  raw.publish(inboxSubject(cluster.name, node), encodeBatch({ from, calls, replies: [] }));
  const byId = new Map<number, Answer>();
  for await (const msg of inbox) {
    for (const r of decodeBatch(msg.data).replies) {
      byId.set(
        r.id,
        r.errorCode
          ? { code: r.errorCode, message: r.errorMessage }
          : { value: unpackValue(r.result ?? new Uint8Array()) },
      );
    }
    if (byId.size >= calls.length) break;
  }
  inbox.unsubscribe();
  return calls.map((c) => byId.get(c.id)!);
}

/** Sends one call to whoever owns its object, again while the owner answers NotOwner (a shard on the move). */
async function callOwner(from: string, frame: CallFrame, cls = Counter): Promise<Answer> {
  for (;;) {
    const [answer] = await exchange(client.locate(cls, frame.key)!, from, [frame]);
    if (answer?.code !== ErrorCode.NotOwner) return answer!;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function count(key: string): Promise<number> {
  return client.get(Counter, key).get();
}

/** The call table stored with the Counter's state, as the next owner would load it. */
async function storedCalls(key: string): Promise<unknown[]> {
  const state = await new Kvm(raw).open(`rsd_${cluster.name}_state`);
  return (decodeStateRecord((await state.get(encodeStateKey(`Counter/${key}`)))!.value).calls as unknown[]) ?? [];
}

describe('resent call ids run at most once', () => {
  test('a call frame sent twice in one batch, and again later, runs once; every copy gets its reply', async () => {
    const key = 'dup-wire';
    const node = client.locate(Counter, key)!;
    const answers = await exchange(node, 'peer1', [call(1, key, 1), call(2, key, 1)]);
    assert.deepEqual(answers, [{ value: 1 }, { value: 1 }]);
    assert.deepEqual(await exchange(node, 'peer1', [call(3, key, 1)]), [{ value: 1 }], 'the remembered reply');
    assert.equal(await count(key), 1);
    assert.deepEqual(await exchange(node, 'peer1', [call(4, key, 2)]), [{ value: 2 }], 'a new call id runs');
  });

  test('a frame without a call id (a sender from before resends) is not remembered: each copy runs', async () => {
    const key = 'dup-legacy';
    const node = client.locate(Counter, key)!;
    const answers = await exchange(node, 'peer1', [call(1, key, 0), call(2, key, 0)]);
    assert.deepEqual(answers, [{ value: 1 }, { value: 2 }]);
  });

  test("a call id replayed by another sender runs as that sender's own call and never gets the first one's reply", async () => {
    const key = 'dup-replay';
    const node = client.locate(Counter, key)!;
    assert.deepEqual(await exchange(node, 'peer1', [call(1, key, 7)]), [{ value: 1 }]);
    assert.deepEqual(await exchange(node, 'peer2', [call(1, key, 7)]), [{ value: 2 }], 'ran for peer2');
    assert.deepEqual(await exchange(node, 'peer1', [call(1, key, 7, { callerEpoch: EPOCH + 1 })]), [{ value: 3 }]);
    assert.deepEqual(await exchange(node, 'peer1', [call(1, key, 7)]), [{ value: 1 }], "peer1's own reply");
    assert.equal(await count(key), 3);
  });

  test('an object remembers a bounded number of call ids: the oldest is forgotten first', async () => {
    const key = 'dup-bound';
    const node = client.locate(Counter, key)!;
    assert.deepEqual(await exchange(node, 'peer1', [call(1, key, 1)]), [{ value: 1 }]);
    const more = Array.from({ length: MAX_REMEMBERED_CALLS }, (_, i) => call(i + 2, key, i + 2));
    const answers = await exchange(node, 'peer1', more);
    assert.deepEqual(answers.at(-1), { value: MAX_REMEMBERED_CALLS + 1 });
    const state = await new Kvm(raw).open(`rsd_${cluster.name}_state`);
    const stored = decodeStateRecord((await state.get(encodeStateKey(`Counter/${key}`)))!.value);
    assert.ok((stored.calls as unknown[]).length <= MAX_REMEMBERED_CALLS, 'the stored table is bounded too');
    const last = MAX_REMEMBERED_CALLS + 1;
    assert.deepEqual(await exchange(node, 'peer1', [call(900, key, last)]), [{ value: last }], 'still remembered');
    assert.deepEqual(await exchange(node, 'peer1', [call(901, key, 1)]), [{ value: last + 1 }], 'forgotten: runs');
  });

  test("an id is remembered until its caller's deadline has passed, then forgotten", async () => {
    const key = 'dup-window';
    const node = client.locate(Counter, key)!;
    assert.deepEqual(await exchange(node, 'peer1', [call(1, key, 1, { timeoutMs: 100 })]), [{ value: 1 }]);
    assert.deepEqual(await exchange(node, 'peer1', [call(2, key, 1, { timeoutMs: 100 })]), [{ value: 1 }]);
    // The window is the deadline plus 2 s of slack for resends in flight and clock skew between owners.
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(await exchange(node, 'peer1', [call(3, key, 1)]), [{ value: 2 }]);
  });

  test('remembered replies are bounded in bytes: past the budget the oldest keep their id, not their reply', async () => {
    const key = 'dup-bytes';
    const node = client.locate(Echo, key)!;
    const big = (id: number) =>
      call(id, key, id, { cls: 'Echo', method: 'big', args: pack([MAX_REMEMBERED_REPLY_BYTES / 4]) });
    const answers = await exchange(node, 'peer1', [1, 2, 3, 4, 5, 6].map(big));
    assert.ok(answers.every((a) => typeof a.value === 'string'));
    const [again] = await exchange(node, 'peer1', [big(1)]);
    assert.equal(again?.code, ErrorCode.NodeLost);
    assert.match(again?.message ?? '', /ran once already, but its reply was not kept/);
    const [recent] = await exchange(node, 'peer1', [big(6)]);
    assert.equal(typeof recent?.value, 'string', 'the newest reply is still kept');
  });
});

describe('acknowledged call ids', () => {
  test('a caller acknowledging the replies it has leaves the owner remembering (and storing) only the newest id', async () => {
    const key = 'ack-stored';
    const node = client.locate(Counter, key)!;
    for (let seq = 1; seq <= 20; seq++) {
      assert.deepEqual(await exchange(node, 'peer1', [call(seq, key, seq, { settledBelow: seq })]), [{ value: seq }]);
    }
    assert.equal((await storedCalls(key)).length, 1, 'only id 20 is stored with the state');
    assert.deepEqual(await exchange(node, 'peer1', [call(90, key, 20, { settledBelow: 20 })]), [{ value: 20 }]);
    assert.deepEqual(
      await exchange(node, 'peer1', [call(91, key, 3, { settledBelow: 3 })]),
      [{ value: 21 }],
      'forgotten',
    );
  });

  test("the runtime's own calls acknowledge: after a burst, a hot object stores one id, not one per call", async () => {
    const key = 'ack-runtime';
    const counter = client.get(Counter, key);
    await Promise.all(Array.from({ length: 40 }, () => counter.add(1)));
    assert.equal(await counter.add(1), 41);
    assert.equal((await storedCalls(key)).length, 1, 'every earlier call was acknowledged by the last one');
  });

  test("acknowledgements from another node, or another epoch of the same node, forget none of a caller's ids", async () => {
    const key = 'ack-forged';
    const node = client.locate(Counter, key)!;
    assert.deepEqual(await exchange(node, 'peer1', [call(1, key, 5)]), [{ value: 1 }]);
    const huge = 0xffffffff;
    assert.deepEqual(await exchange(node, 'peer2', [call(2, key, huge, { settledBelow: huge })]), [{ value: 2 }]);
    assert.deepEqual(await exchange(node, 'peer2', [call(3, key, 1000, { settledBelow: 1000 })]), [{ value: 3 }]);
    const otherEpoch = { settledBelow: 1000, callerEpoch: EPOCH + 1 };
    assert.deepEqual(await exchange(node, 'peer1', [call(4, key, 1000, otherEpoch)]), [{ value: 4 }]);
    assert.deepEqual(
      await exchange(node, 'peer1', [call(5, key, 5)]),
      [{ value: 1 }],
      "peer1's call did not run again",
    );
    assert.equal(await count(key), 4);
  });

  test('an acknowledgement past its own call id, or without one, is refused with a clear error and forgets nothing', async () => {
    const key = 'ack-bad';
    const node = client.locate(Counter, key)!;
    assert.deepEqual(await exchange(node, 'peer1', [call(1, key, 1)]), [{ value: 1 }]);
    const [past, none] = await exchange(node, 'peer1', [
      call(2, key, 5, { settledBelow: 6 }),
      call(3, key, 0, { settledBelow: 3 }),
    ]);
    assert.equal(past?.code, ErrorCode.Serialization);
    assert.match(past?.message ?? '', /acknowledges calls below 6, past its own call id 5/);
    assert.equal(none?.code, ErrorCode.Serialization);
    assert.match(none?.message ?? '', /acknowledges calls below 3 but carries no call id/);
    assert.deepEqual(await exchange(node, 'peer1', [call(4, key, 1)]), [{ value: 1 }], 'id 1 still remembered');
    assert.equal(await count(key), 1, 'neither refused call ran');
  });
});

describe('stored call ids', () => {
  test('the owner ran and stored a call, then died before its reply arrived: the next owner answers, not runs', async () => {
    const [key = ''] = keysOn(client, Counter, 'node1', 1, 'after-commit');
    assert.deepEqual(await exchange('node1', 'peer3', [call(1, key, 40, { settledBelow: 40 })]), [{ value: 1 }]);
    // Id 40 is settled (acknowledged below); 41 runs and is stored, but its reply is "lost".
    assert.deepEqual(await exchange('node1', 'peer3', [call(2, key, 41, { settledBelow: 41 })]), [{ value: 2 }]);
    await cluster.node('node1').kill();
    await waitFor(() => client.locate(Counter, key) !== 'node1', 10_000, 'another node to own the object');
    // Another call of the same caller reaches the new owner first; 41 is unsettled, so its ack stops below 41.
    assert.deepEqual(await callOwner('peer3', call(3, key, 42, { settledBelow: 41 })), { value: 3 });
    const resend = call(4, key, 41, { settledBelow: 41 });
    assert.deepEqual(await callOwner('peer3', resend), { value: 2 }, 'the stored reply, not a second run');
    assert.equal(await count(key), 3);
    assert.deepEqual(await callOwner('peer3', call(5, key, 43, { settledBelow: 43 })), { value: 4 });
  });

  test('a caller whose call was running on a node that died resends it, and the new owner runs it once', async () => {
    const owner = cluster.nodes.find((n) => n.running)!.id;
    const [key = ''] = keysOn(client, Counter, owner, 1, 'mid-call');
    const slow = client.get(Counter, key, { timeoutMs: 15_000 }).addSlowly(1, 1500);
    await new Promise((r) => setTimeout(r, 300)); // the call is running on its owner
    await cluster.node(owner).kill();
    assert.equal(await slow, 1, 'answered by the new owner');
    assert.notEqual(client.locate(Counter, key), owner);
    assert.equal(await count(key), 1, 'the effect once');
  });

  test('a stored record with a malformed call table still loads its state; one cut short fails clearly', async () => {
    const state = await new Kvm(raw).open(`rsd_${cluster.name}_state`);
    const good = packValue({ n: 5, activations: 0, deactivations: 0 });
    const record = encodeStateRecord(good, [['peer/1/1', Date.now() + 60_000, null]]);
    const garbage = Uint8Array.from(record);
    garbage.fill(0xc1, 6, record.length - good.length); // the table's bytes, not msgpack
    await state.put(encodeStateKey('Counter/bad-table'), garbage);
    await state.put(encodeStateKey('Counter/bad-entries'), encodeStateRecord(good, [['', Number.NaN, null]]));
    await state.put(encodeStateKey('Counter/cut-short'), record.subarray(0, 8));
    assert.equal(await client.get(Counter, 'bad-table').get(), 5);
    assert.equal(await client.get(Counter, 'bad-entries').get(), 5);
    await assert.rejects(client.get(Counter, 'cut-short').get(), /call table \(\d+ bytes\) runs past its end/);
    const later = Uint8Array.from(record);
    later[1] = 2;
    await state.put(encodeStateKey('Counter/later-layout'), later);
    await assert.rejects(client.get(Counter, 'later-layout').get(), /layout version 2/);
    await state.put(encodeStateKey('Counter/old-layout'), good); // as every record was written before call ids
    assert.equal(await client.get(Counter, 'old-layout').add(1), 6);
    assert.equal(await client.get(Counter, 'after-cut').add(1), 1, 'the node goes on serving');
  });
});
