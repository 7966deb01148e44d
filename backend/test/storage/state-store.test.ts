import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, startNats, startNatsCluster } from '@resident/testing';
import { RevisionConflict, type StateStore } from '../../src/objects/index.ts';
import {
  AckPipeline,
  decodeStateKey,
  detectServerFeatures,
  encodeStateKey,
  KvStateStore,
  LmdbStateStore,
  MemoryStateStore,
  NoStreamResponded,
  type Revision,
} from '../../src/objects/internal.ts';

/** Ids that break naive key schemes: subject tokens and wildcards, the escape character, empties, surrogates. */
const TRICKY_IDS = [
  '',
  ' ',
  'a b',
  '.',
  '..',
  'a.b',
  'a..b',
  '.a',
  'a.',
  '/',
  'a/b',
  '*',
  '>',
  'a.*',
  'a.>',
  '=',
  '==',
  '=003d',
  '=0041',
  'A',
  'a=b',
  'Player:42',
  '\u0000',
  'tab\tnewline\n',
  'ünïcödé',
  '日本語',
  '😀',
  '\ud800',
  '\udc00',
  '\ufffd',
  '$KV',
  '_kv_x',
  'x'.repeat(300),
];

let lastId = 0;
const freshId = (label: string): string => `${label}-${++lastId}`;
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

function conflictOn(id: string, expected: Revision | undefined): (err: unknown) => boolean {
  return (err) => err instanceof RevisionConflict && err.id === id && err.expected === expected;
}

interface Subject {
  readonly store: StateStore;
  dispose(): Promise<void>;
}

/** The contract every StateStore keeps, run once per implementation. */
function conformance(name: string, setup: () => Promise<Subject>): void {
  describe(`${name}: StateStore contract`, () => {
    let subject: Subject | undefined;
    const store = (): StateStore => {
      assert.ok(subject, 'store not set up');
      return subject.store;
    };
    before(async () => {
      subject = await setup();
    });
    after(async () => {
      await subject?.dispose();
    });

    it('loads a missing id as undefined', async () => {
      assert.equal(await store().load(freshId('missing')), undefined);
    });

    it('creates a new id and loads back the same bytes and revision', async () => {
      const id = freshId('create');
      const revision = await store().save(id, bytes(1, 2, 3), undefined);
      assert.ok(Number.isSafeInteger(revision) && revision > 0, `revision ${revision}`);
      assert.deepEqual(await store().load(id), { value: bytes(1, 2, 3), revision });
    });

    it('updates with the current revision', async () => {
      const id = freshId('update');
      const first = await store().save(id, bytes(1), undefined);
      const second = await store().save(id, bytes(2), first);
      assert.notEqual(second, first);
      assert.deepEqual(await store().load(id), { value: bytes(2), revision: second });
    });

    it('rejects an update from a stale revision and keeps the stored value', async () => {
      const id = freshId('stale');
      const first = await store().save(id, bytes(1), undefined);
      const second = await store().save(id, bytes(2), first);
      await assert.rejects(store().save(id, bytes(3), first), conflictOn(id, first));
      assert.deepEqual(await store().load(id), { value: bytes(2), revision: second });
    });

    it('rejects a create of an existing id and keeps the stored value', async () => {
      const id = freshId('exists');
      const revision = await store().save(id, bytes(1), undefined);
      await assert.rejects(store().save(id, bytes(2), undefined), conflictOn(id, undefined));
      assert.deepEqual(await store().load(id), { value: bytes(1), revision });
    });

    it('rejects saves from revisions the id never had', async () => {
      const missing = freshId('never');
      await assert.rejects(store().save(missing, bytes(1), 1_000_000), conflictOn(missing, 1_000_000));
      assert.equal(await store().load(missing), undefined);
      const id = freshId('never');
      const revision = await store().save(id, bytes(1), undefined);
      for (const wrong of [0, -1, revision + 1_000_000]) {
        await assert.rejects(store().save(id, bytes(2), wrong), conflictOn(id, wrong));
      }
      assert.deepEqual(await store().load(id), { value: bytes(1), revision });
    });

    it('removes only with the current revision', async () => {
      const id = freshId('remove');
      const first = await store().save(id, bytes(1), undefined);
      const second = await store().save(id, bytes(2), first);
      for (const wrong of [first, 0, second + 1_000_000]) {
        await assert.rejects(store().remove(id, wrong), conflictOn(id, wrong));
      }
      assert.deepEqual(await store().load(id), { value: bytes(2), revision: second });
      await store().remove(id, second);
      assert.equal(await store().load(id), undefined);
      await assert.rejects(store().remove(id, second), conflictOn(id, second));
    });

    it('rejects removing a missing id', async () => {
      const id = freshId('remove-missing');
      await assert.rejects(store().remove(id, 1), conflictOn(id, 1));
    });

    it('re-creates a removed id, and revisions from before the removal stay stale', async () => {
      const id = freshId('recreate');
      const old = await store().save(id, bytes(1), undefined);
      await store().remove(id, old);
      const renewed = await store().save(id, bytes(2), undefined);
      assert.notEqual(renewed, old);
      await assert.rejects(store().save(id, bytes(3), old), conflictOn(id, old));
      await assert.rejects(store().remove(id, old), conflictOn(id, old));
      assert.deepEqual(await store().load(id), { value: bytes(2), revision: renewed });
    });

    it('completes 200 concurrent saves to distinct ids', async () => {
      const ids = Array.from({ length: 200 }, () => freshId('many'));
      const revisions = await Promise.all(ids.map((id, i) => store().save(id, bytes(i & 0xff, i >> 8), undefined)));
      const loaded = await Promise.all(ids.map((id) => store().load(id)));
      loaded.forEach((state, i) => {
        assert.deepEqual(state, { value: bytes(i & 0xff, i >> 8), revision: revisions[i] });
      });
    });

    it('lets exactly one of 20 concurrent updates from one revision win', async () => {
      const id = freshId('cas');
      const base = await store().save(id, bytes(0), undefined);
      const attempts = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store().save(id, bytes(i), base)));
      assertOneWinner(attempts, id, base);
      const winner = attempts.findIndex((a) => a.status === 'fulfilled');
      assert.deepEqual(await store().load(id), { value: bytes(winner), revision: revisionOf(attempts[winner]) });
    });

    it('lets exactly one of 20 concurrent creates of one id win', async () => {
      const id = freshId('create-race');
      const attempts = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => store().save(id, bytes(i), undefined)),
      );
      assertOneWinner(attempts, id, undefined);
    });

    it('lets exactly one of 20 concurrent re-creates of a removed id win', async () => {
      const id = freshId('recreate-race');
      await store().remove(id, await store().save(id, bytes(0), undefined));
      const attempts = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => store().save(id, bytes(i), undefined)),
      );
      assertOneWinner(attempts, id, undefined);
    });

    it('shares no bytes with callers', async () => {
      const id = freshId('alias');
      const input = bytes(1, 2, 3);
      const saving = store().save(id, input, undefined);
      input[0] = 99; // before the save settles: the store must have taken its own copy already
      const revision = await saving;
      input[1] = 98;
      const loaded = await store().load(id);
      assert.deepEqual(loaded, { value: bytes(1, 2, 3), revision });
      assert.ok(loaded);
      loaded.value[2] = 97;
      assert.deepEqual(await store().load(id), { value: bytes(1, 2, 3), revision });
    });

    it('stores exactly the bytes of a view, and empty values', async () => {
      const view = Buffer.from([9, 9, 1, 2, 3, 9]).subarray(2, 5);
      const viewId = freshId('view');
      const viewRevision = await store().save(viewId, view, undefined);
      assert.deepEqual(await store().load(viewId), { value: bytes(1, 2, 3), revision: viewRevision });
      const emptyId = freshId('empty');
      const emptyRevision = await store().save(emptyId, new Uint8Array(0), undefined);
      assert.deepEqual(await store().load(emptyId), { value: bytes(), revision: emptyRevision });
    });

    it('keeps ids with unusual characters apart', async () => {
      const revisions = await Promise.all(TRICKY_IDS.map((id, i) => store().save(id, bytes(i), undefined)));
      for (const [i, id] of TRICKY_IDS.entries()) {
        assert.deepEqual(await store().load(id), { value: bytes(i), revision: revisions[i] }, JSON.stringify(id));
      }
    });
  });
}

function assertOneWinner(attempts: PromiseSettledResult<Revision>[], id: string, expected: Revision | undefined): void {
  const losers = attempts.filter((a) => a.status === 'rejected');
  assert.equal(attempts.length - losers.length, 1, 'winners');
  for (const loser of losers) assert.ok(conflictOn(id, expected)(loser.reason), String(loser.reason));
}

function revisionOf(attempt: PromiseSettledResult<Revision> | undefined): Revision {
  assert.equal(attempt?.status, 'fulfilled');
  return attempt.value;
}

// --- memory ---

conformance('memory', async () => {
  const store = new MemoryStateStore();
  return { store, dispose: () => store.close() };
});

// --- lmdb ---

async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'resident-lmdb-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

conformance('lmdb', async () => {
  const dir = await tempDir();
  const store = await LmdbStateStore.open(join(dir.path, 'state'));
  return {
    store,
    async dispose() {
      await store.close();
      await dir.remove();
    },
  };
});

describe('LmdbStateStore', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  const path = (): string => join(dir?.path ?? assert.fail('no temp dir'), 'state');
  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await dir?.remove();
  });

  it('keeps state and revision order across close and reopen', async () => {
    const first = await LmdbStateStore.open(path());
    const a1 = await first.save('a', bytes(1), undefined);
    const a2 = await first.save('a', bytes(2), a1);
    const b1 = await first.save('b', bytes(3), undefined);
    await first.remove('b', b1);
    await first.close();

    const second = await LmdbStateStore.open(path());
    try {
      assert.deepEqual(await second.load('a'), { value: bytes(2), revision: a2 });
      assert.equal(await second.load('b'), undefined);
      await assert.rejects(second.save('a', bytes(4), a1), RevisionConflict);
      const b2 = await second.save('b', bytes(5), undefined);
      assert.ok(b2 > Math.max(a1, a2, b1), 'revisions continue above every earlier one');
      assert.ok((await second.save('a', bytes(6), a2)) > b2);
    } finally {
      await second.close();
    }
  });

  it('rejects ids too long for an lmdb key and stays usable', async () => {
    const store = await LmdbStateStore.open(path());
    try {
      await assert.rejects(store.save('x'.repeat(2000), bytes(1), undefined), RangeError);
      await assert.rejects(store.save('é'.repeat(989), bytes(1), undefined), RangeError);
      const revision = await store.save('x'.repeat(1977), bytes(1), undefined);
      assert.deepEqual(await store.load('x'.repeat(1977)), { value: bytes(1), revision });
    } finally {
      await store.close();
    }
  });
});

// --- JetStream KV ---

describe('encodeStateKey', () => {
  const randomIds = Array.from({ length: 2000 }, () =>
    String.fromCharCode(
      ...Array.from({ length: Math.floor(Math.random() * 8) }, () => Math.floor(Math.random() * 0x10000)),
    ),
  );

  it('maps ids to valid KV keys that decode back', () => {
    for (const id of [...TRICKY_IDS, ...randomIds]) {
      const key = encodeStateKey(id);
      assert.match(key, /^[-/_=A-Za-z0-9]+$/, JSON.stringify(id));
      assert.equal(decodeStateKey(key), id);
    }
  });

  it('never maps two ids to one key', () => {
    const ids = new Set([...TRICKY_IDS, ...randomIds]);
    assert.equal(new Set([...ids].map(encodeStateKey)).size, ids.size);
  });

  it('refuses keys no id encodes to', () => {
    for (const key of ['', '=1', '=zzzz', '=00G0', 'a.b', 'a b', '=003D']) {
      assert.throws(() => decodeStateKey(key), Error, JSON.stringify(key));
    }
  });

  it('refuses ids too long for a subject', () => {
    assert.throws(() => encodeStateKey('.'.repeat(500)), RangeError);
  });
});

describe('KvStateStore on one nats-server', () => {
  let nats: NatsCluster | undefined;
  let nc: NatsConnection | undefined;
  const connection = (): NatsConnection => nc ?? assert.fail('not connected');
  before(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.urls });
  });
  after(async () => {
    await nc?.close();
    await nats?.close();
  });

  conformance('jetstream-kv R1', async () => {
    const store = await KvStateStore.open(connection(), { bucket: 'state_r1' });
    return { store, dispose: () => store.close() };
  });

  it('creates a bucket keeping one entry per key, with direct gets', async () => {
    await KvStateStore.open(connection(), { bucket: 'state_config' });
    const { config } = await (await jetstreamManager(connection())).streams.info('KV_state_config');
    assert.equal(config.max_msgs_per_subject, 1);
    assert.equal(config.num_replicas, 1);
    assert.equal(config.allow_direct, true);
  });

  it('reads a removed id as absent while its DEL marker remains, and creates it again', async () => {
    const store = await KvStateStore.open(connection(), { bucket: 'state_marker' });
    const raw = await new Kvm(connection()).open('state_marker');
    const id = 'room.7/α';
    await store.remove(id, await store.save(id, bytes(1), undefined));
    assert.equal((await raw.get(encodeStateKey(id)))?.operation, 'DEL');
    assert.equal(await store.load(id), undefined);
    const revision = await store.save(id, bytes(2), undefined);
    assert.deepEqual(await store.load(id), { value: bytes(2), revision });
  });
});

describe('KvStateStore loads and saves many objects at once', () => {
  let nats: NatsCluster | undefined;
  let nc: NatsConnection | undefined;
  let store: KvStateStore | undefined;
  const connection = (): NatsConnection => nc ?? assert.fail('not connected');
  const kv = (): KvStateStore => store ?? assert.fail('no store');
  before(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.urls });
    // Every group a batch, so these tests see the batched path whatever the policy would choose here.
    store = await KvStateStore.open(nc, { bucket: 'state_many', writeBatches: 'always' });
  });
  after(async () => {
    await nc?.close();
    await nats?.close();
  });

  it('loads in batches where the server has batch direct get, else one get per load', async () => {
    const features = await detectServerFeatures(connection());
    assert.equal(kv().loads, features.batchDirectGet ? 'batch' : 'single', features.version);
  });

  it("gives every load of one tick its own key's state or absence", async () => {
    const kept = Array.from({ length: 50 }, () => freshId('kept'));
    const revisions = await Promise.all(kept.map((id, i) => kv().save(id, bytes(i), undefined)));
    const removed = freshId('removed');
    await kv().remove(removed, await kv().save(removed, bytes(7), undefined));
    const purged = freshId('purged');
    await kv().save(purged, bytes(8), undefined);
    await (await new Kvm(connection()).open('state_many')).purge(encodeStateKey(purged));
    const never = freshId('never');
    // Loaded together (one tick), the same id twice among them, in an order unlike the stream's.
    const ids = [never, ...kept.toReversed(), removed, kept[3]!, purged];
    const loaded = await Promise.all(ids.map((id) => kv().load(id)));
    const want = (id: string) => {
      const i = kept.indexOf(id);
      return i < 0 ? undefined : { value: bytes(i), revision: revisions[i] };
    };
    ids.forEach((id, i) => {
      assert.deepEqual(loaded[i], want(id), id);
    });
    const [once, twice] = [ids.indexOf(kept[3]!), ids.lastIndexOf(kept[3]!)];
    assert.ok(once < twice && loaded[once]?.value !== loaded[twice]?.value, 'each caller gets its own copy');
  });

  it('splits loads beyond one request (1024 keys, or long keys) into several, and answers each', async () => {
    const many = Array.from({ length: 1500 }, () => freshId('many'));
    const long = Array.from({ length: 300 }, (_, i) => `${'x'.repeat(1900)}${freshId('long')}-${i}`);
    const written = [...many.filter((_, i) => i % 3 === 0), ...long.filter((_, i) => i % 2 === 0)];
    const revisions = new Map(
      await Promise.all(
        written.map(async (id) => [id, await kv().save(id, bytes(id.length & 0xff), undefined)] as const),
      ),
    );
    const ids = [...many, ...long];
    const loaded = await Promise.all(ids.map((id) => kv().load(id)));
    ids.forEach((id, i) => {
      const revision = revisions.get(id);
      assert.deepEqual(loaded[i], revision === undefined ? undefined : { value: bytes(id.length & 0xff), revision });
    });
  });

  it('fails every load of a batch that failed, saying so, and serves the loads after it; writes too', async () => {
    const id = freshId('before-loss');
    await kv().save(id, bytes(1), undefined);
    const jsm = await jetstreamManager(connection());
    await jsm.streams.delete('KV_state_many');
    const ids = Array.from({ length: 5 }, () => freshId('lost'));
    const results = await Promise.allSettled(ids.map((lost) => kv().load(lost)));
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const message = String((r.reason as Error).message);
      if (kv().loads === 'batch') assert.match(message, /batch get of 5 keys from KV_state_many failed/);
    }
    // A write no stream takes is sent again a bounded number of times, then fails saying so.
    await assert.rejects(kv().save(freshId('unstored'), bytes(1), undefined), NoStreamResponded);
    store = await KvStateStore.open(connection(), { bucket: 'state_many', writeBatches: 'always' });
    const revision = await kv().save(id, bytes(2), undefined);
    assert.deepEqual(await kv().load(id), { value: bytes(2), revision });
  });

  it('saves in atomic batches where the server has them (a stream with allow_atomic), else one publish each', async () => {
    const features = await detectServerFeatures(connection());
    assert.equal(kv().writes, features.atomicBatchPublish ? 'batch' : 'single', features.version);
    const { config } = await (await jetstreamManager(connection())).streams.info('KV_state_many');
    assert.equal(config.allow_atomic === true, features.atomicBatchPublish);
  });

  it("stores one tick's saves as one batch, each at the revision it was told", async () => {
    const before = { ...kv().writeStats };
    const ids = Array.from({ length: 100 }, () => freshId('batched'));
    const revisions = await Promise.all(ids.map((id, i) => kv().save(id, bytes(i), undefined)));
    assert.equal(new Set(revisions).size, ids.length);
    const loaded = await Promise.all(ids.map((id) => kv().load(id)));
    ids.forEach((id, i) => {
      assert.deepEqual(loaded[i], { value: bytes(i), revision: revisions[i] }, id);
    });
    const after = kv().writeStats;
    if (kv().writes === 'single') return assert.equal(after.singles - before.singles, ids.length);
    assert.equal(after.batches - before.batches, 1, 'one batch');
    assert.equal(after.batched - before.batched, ids.length);
  });

  it('fails only an oversized save of a batch, and stores the others', async () => {
    const ids = Array.from({ length: 10 }, () => freshId('with-oversized'));
    const tooBig = 5;
    const attempts = await Promise.allSettled(
      ids.map((id, i) => kv().save(id, i === tooBig ? new Uint8Array(2 * 1024 * 1024) : bytes(i), undefined)),
    );
    attempts.forEach((a, i) => {
      assert.equal(a.status, i === tooBig ? 'rejected' : 'fulfilled', ids[i]);
    });
    assert.equal(await kv().load(ids[tooBig]!), undefined);
    assert.deepEqual((await kv().load(ids[0]!))?.value, bytes(0));
  });

  it('writes singly to a bucket made without atomic batches (an older node made it), and still checks revisions', async () => {
    await new Kvm(connection()).create('state_plain', { history: 1 });
    const plain = await KvStateStore.open(connection(), { bucket: 'state_plain' });
    assert.equal(plain.writes, 'single');
    const ids = Array.from({ length: 20 }, () => freshId('plain'));
    const revisions = await Promise.all(ids.map((id) => plain.save(id, bytes(1), undefined)));
    await assert.rejects(plain.save(ids[0]!, bytes(2), revisions[0]! - 1), conflictOn(ids[0]!, revisions[0]! - 1));
    assert.deepEqual(await plain.load(ids[3]!), { value: bytes(1), revision: revisions[3] });
  });

  it('rejects only the conflicting save of a group in flight together', async () => {
    const ids = Array.from({ length: 40 }, () => freshId('group'));
    const first = await Promise.all(ids.map((id) => kv().save(id, bytes(0), undefined)));
    const stale = 17;
    await kv().save(ids[stale]!, bytes(9), first[stale]!); // another activation wrote it
    const created = freshId('group-created');
    await kv().save(created, bytes(0), undefined);
    const resent = kv().writeStats.resent;
    const attempts = await Promise.allSettled([
      ...ids.map((id, i) => kv().save(id, bytes(1), first[i]!)),
      kv().save(created, bytes(1), undefined), // a create of an existing id, in the same group
    ]);
    attempts.forEach((a, i) => {
      if (i === stale) assert.ok(conflictOn(ids[stale]!, first[stale])(a.status === 'rejected' && a.reason));
      else if (i === ids.length) assert.ok(conflictOn(created, undefined)(a.status === 'rejected' && a.reason));
      else assert.equal(a.status, 'fulfilled', `${ids[i]}: ${a.status === 'rejected' ? a.reason : ''}`);
    });
    const loaded = await Promise.all(ids.map((id) => kv().load(id)));
    loaded.forEach((state, i) => {
      assert.deepEqual(state?.value, bytes(i === stale ? 9 : 1));
    });
    // Batched, the conflict refused the whole batch, whose saves went again one by one.
    if (kv().writes === 'batch') assert.equal(kv().writeStats.resent - resent, ids.length + 1);
  });
});

describe('AckPipeline', () => {
  let nats: NatsCluster | undefined;
  let nc: NatsConnection | undefined;
  let pipeline: AckPipeline | undefined;
  const connection = (): NatsConnection => nc ?? assert.fail('not connected');
  const acks = (): AckPipeline => pipeline ?? assert.fail('no pipeline');
  before(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.urls });
    pipeline = new AckPipeline(nc);
  });
  after(async () => {
    await nc?.close();
    await nats?.close();
  });

  it('says when no stream took a publish', async () => {
    await assert.rejects(acks().publish('nobody.listens', bytes(1), headers()), NoStreamResponded);
  });

  it('refuses answers that are not JetStream acks, and keeps acknowledging others', async () => {
    const answers: Record<string, string> = {
      'fake.garbage': '{not json',
      'fake.noseq': '{"stream":"S"}',
      'fake.badcount': '{"stream":"S","seq":3,"count":0}',
    };
    const sub = connection().subscribe('fake.*', { callback: (_e, m) => void m.respond(answers[m.subject] ?? '') });
    try {
      await assert.rejects(acks().publish('fake.garbage', bytes(1), headers()), /unreadable JetStream ack/);
      await assert.rejects(acks().publish('fake.noseq', bytes(1), headers()), /names no stream sequence/);
      await assert.rejects(acks().publish('fake.badcount', bytes(1), headers()), /counts 0 messages/);
      answers['fake.ok'] = '{"stream":"S","seq":42}';
      assert.deepEqual(await acks().publish('fake.ok', bytes(1), headers()), { seq: 42, duplicate: false, count: 1 });
    } finally {
      sub.unsubscribe();
    }
  });
});

describe('KvStateStore on a 3-server cluster', () => {
  let cluster: NatsCluster | undefined;
  // One connection per server, each pinned to it: three nodes of a game backend sharing one R3 bucket.
  let connections: NatsConnection[] = [];
  let nodes: KvStateStore[] = [];
  const node = (i: number): KvStateStore => nodes[i] ?? assert.fail(`no store on node ${i}`);
  const openOnEveryNode = (bucket: string): Promise<KvStateStore[]> =>
    // Every group a batch: the replicated path of atomic batches is the one to prove here.
    Promise.all(connections.map((nc) => KvStateStore.open(nc, { bucket, replicas: 3, writeBatches: 'always' })));
  before(async () => {
    cluster = await startNatsCluster({ size: 3 });
    connections = await Promise.all(cluster.urls.map((url) => connect({ servers: url })));
    nodes = await openOnEveryNode('state_r3');
  });
  after(async () => {
    await Promise.all(nodes.map((store) => store.close()));
    await Promise.all(connections.map((nc) => nc.close()));
    await cluster?.close();
  });

  conformance('jetstream-kv R3', async () => ({ store: node(0), dispose: async () => {} }));

  it('opens one new bucket from every node at once', async () => {
    for (let round = 0; round < 3; round++) {
      const stores = await openOnEveryNode(`state_race_${round}`);
      const revision = await stores[0]!.save('x', bytes(round), undefined);
      assert.deepEqual(await stores[2]!.load('x'), { value: bytes(round), revision });
    }
    const { config } = await (await jetstreamManager(connections[0]!)).streams.info('KV_state_r3');
    assert.equal(config.num_replicas, 3);
    assert.equal(config.max_msgs_per_subject, 1);
  });

  it('lets exactly one of concurrent updates from one revision win across servers', async () => {
    for (let round = 0; round < 10; round++) {
      const id = freshId('cluster-cas');
      const base = await node(0).save(id, bytes(0), undefined);
      const attempts = await Promise.allSettled(
        Array.from({ length: 9 }, (_, i) => node(i % nodes.length).save(id, bytes(i + 1), base)),
      );
      assertOneWinner(attempts, id, base);
      const winner = attempts.findIndex((a) => a.status === 'fulfilled');
      const state = await node(1).load(id);
      assert.deepEqual(state, { value: bytes(winner + 1), revision: revisionOf(attempts[winner]) });
    }
  });

  it('lets exactly one node win each object when every node batches updates of the same objects at once', async () => {
    for (let round = 0; round < 5; round++) {
      const ids = Array.from({ length: 50 }, () => freshId('cluster-batch'));
      const bases = await Promise.all(ids.map((id) => node(0).save(id, bytes(0), undefined)));
      const attempts = await Promise.all(
        nodes.map((store, n) => Promise.allSettled(ids.map((id, i) => store.save(id, bytes(n + 1), bases[i]!)))),
      );
      const loaded = await Promise.all(ids.map((id) => node(1).load(id)));
      ids.forEach((id, i) => {
        const perNode = attempts.map((a) => a[i]!);
        assertOneWinner(perNode, id, bases[i]!);
        const winner = perNode.findIndex((a) => a.status === 'fulfilled');
        assert.deepEqual(loaded[i], { value: bytes(winner + 1), revision: revisionOf(perNode[winner]) });
      });
    }
    if (node(0).writes === 'batch') assert.ok(node(0).writeStats.batches > 0, 'the nodes wrote in batches');
  });

  it('loads on one server what was just saved through another', async () => {
    const id = freshId('read-your-writes');
    let revision = await node(0).save(id, bytes(0), undefined);
    for (let i = 1; i <= 100; i++) {
      revision = await node(0).save(id, bytes(i), revision);
      assert.deepEqual(await node(1).load(id), { value: bytes(i), revision });
    }
  });
});
