import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { bucketName } from '@resident/shared/nats';
import { type NatsCluster, startNats } from '@resident/testing';
import { Packr } from 'msgpackr';
import pino from 'pino';
import { NatsPresence, PRESENCE_CLASSES, PresenceShard } from '../../../src/colyseus/presence/index.ts';
import { ShardRouter } from '../../../src/colyseus/presence/shard-router.ts';
import { PresenceSubjects } from '../../../src/colyseus/presence/topics.ts';
import { ObjectRuntime } from '../../../src/objects/index.ts';
import { connectNats, KvStateStore } from '../../../src/objects/internal.ts';
import { TEST_MEMBERSHIP_KEY } from '../../../testing/support.ts';
import { Inbox, sleep, sorted, waitFor } from './support.ts';

const log = pino({ level: 'silent' });

interface Node {
  readonly nc: NatsConnection;
  readonly runtime: ObjectRuntime;
  readonly presence: NatsPresence;
}

describe('NatsPresence on the object runtime', () => {
  let nats: NatsCluster;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await nats?.close();
  });

  async function connection(name: string): Promise<NatsConnection> {
    const nc = await connectNats(nats.urls, name);
    cleanups.push(() => nc.close());
    return nc;
  }

  async function startNode(cluster: string, nodeId?: string): Promise<Node> {
    const nc = await connection(`presence-${nodeId ?? 'node'}`);
    const runtime = await ObjectRuntime.start({
      classes: [...PRESENCE_CLASSES],
      nodeId,
      nats: { connection: nc, cluster, membershipKey: TEST_MEMBERSHIP_KEY },
      log,
    });
    const presence = new NatsPresence({ runtime });
    cleanups.push(async () => {
      presence.shutdown();
      await runtime.stop({ drain: false });
    });
    return { nc, runtime, presence };
  }

  const newCluster = () => `p${randomBytes(4).toString('hex')}`;

  test('create locks (ch:*) live in memory only; other keys are stored before the command is answered', async () => {
    const cluster = newCluster();
    const node = await startNode(cluster);
    const router = new ShardRouter(node.runtime, 64);
    assert.equal(await node.presence.hincrbyex('ch:bench', 'lock', 1, 2), 1);
    assert.equal(await node.presence.hincrbyex('ch:bench', 'lock', 1, 2), 2, 'the lock counts in memory');
    await node.presence.hset('roomcount', 'proc', '1');
    const store = await KvStateStore.open(node.nc, { bucket: bucketName(cluster, 'state') });
    assert.match(router.shardKey('ch:bench'), /^v\d+$/);
    assert.equal(
      await store.load(`VolatilePresenceShard/${router.shardKey('ch:bench')}`),
      undefined,
      'lock not stored',
    );
    assert.ok(await store.load(`PresenceShard/${router.shardKey('roomcount')}`), 'roomcount stored');
  });

  test('the constructor says what is missing: NATS, or PresenceShard on the runtime', async () => {
    const embedded = await ObjectRuntime.start({ classes: [], log });
    cleanups.push(() => embedded.stop({ drain: false }));
    assert.throws(() => new NatsPresence({ runtime: embedded }), /needs NATS/);
    const nc = await connection('presence-unregistered');
    assert.throws(() => new NatsPresence({ runtime: embedded, connection: nc }), /PresenceShard/);
  });

  test('subscribe resolves only after a round trip to the server', async () => {
    const node = await startNode(newCluster());
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gated = new Proxy(node.nc, {
      get(target, prop) {
        if (prop === 'flush') return () => gate.then(() => target.flush());
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const presence = new NatsPresence({ runtime: node.runtime, connection: gated });
    let resolved = false;
    const inbox = new Inbox();
    const subscribed = presence.subscribe('gated', inbox.cb).then(() => {
      resolved = true;
    });
    await sleep(100);
    assert.equal(resolved, false, 'still waiting for the flush');
    release();
    await subscribed;
    await node.presence.publish('gated', 'through');
    await inbox.until(1, 'gated');
    presence.shutdown();
  });

  test("an IPC reply channel's subscribe needs no round trip, and the answer to a request sent after it arrives", async () => {
    const cluster = newCluster();
    const asker = await startNode(cluster, 'asker');
    const answerer = await startNode(cluster, 'answerer');
    await answerer.presence.subscribe('$room', (request: [string, string]) => {
      void answerer.presence.publish(`ipc:${request[1]}`, ['ok', request[0]]);
    });
    const noFlush = new Proxy(asker.nc, {
      get(target, prop) {
        if (prop === 'flush') return () => new Promise(() => {});
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const presence = new NatsPresence({ runtime: asker.runtime, connection: noFlush });
    const inbox = new Inbox();
    // Colyseus's requestFromIPC: subscribe to the reply channel, then publish the request.
    const late = sleep(2000).then(() => Promise.reject(new Error('subscribe waited for a round trip')));
    late.catch(() => undefined);
    await Promise.race([presence.subscribe('ipc:r1', inbox.cb), late]);
    await presence.publish('$room', ['_reserveSeat', 'r1']);
    await inbox.until(1, 'ipc:r1');
    assert.deepEqual(inbox.got, [['ok', '_reserveSeat']]);
    presence.shutdown();
  });

  test('two runtime nodes share keys, messages, channels and brpop; keys and TTLs survive a drain', async () => {
    const cluster = newCluster();
    const a = await startNode(cluster, 'a');
    const b = await startNode(cluster, 'b');
    const shardKeys = Array.from({ length: 64 }, (_, i) => `p${i}`);
    await waitFor(
      () => new Set(shardKeys.map((s) => a.runtime.locate(PresenceShard, s))).size === 2,
      10_000,
      'presence shards spread over both nodes',
    );

    const keys = Array.from({ length: 40 }, (_, i) => `two:${i}`);
    const router = new ShardRouter(a.runtime, 64);
    const hosts = new Set(keys.map((key) => a.runtime.locate(PresenceShard, router.shardKey(key))));
    assert.deepEqual(sorted([...hosts].filter((h) => h !== undefined)), ['a', 'b'], 'the keys live on both nodes');
    await Promise.all(keys.map((key, i) => a.presence.hset(key, 'n', String(i))));
    assert.deepEqual(
      await Promise.all(keys.map((key) => b.presence.hget(key, 'n'))),
      keys.map((_, i) => String(i)),
    );
    await b.presence.sadd('two:set', 'from-b');
    assert.deepEqual(await a.presence.smembers('two:set'), ['from-b']);

    const inbox = new Inbox();
    await a.presence.subscribe('two:topic', inbox.cb);
    await b.presence.publish('two:topic', { from: 'b' });
    await inbox.until(1, 'two:topic');
    assert.deepEqual(inbox.got, [{ from: 'b' }]);
    assert.deepEqual(await b.presence.channels('two:*'), ['two:topic'], "b lists a's subscription");

    const popped = a.presence.brpop('two:queue', 5);
    await sleep(100);
    await b.presence.rpush('two:queue', 'job');
    assert.deepEqual(await popped, ['two:queue', 'job']);

    await b.presence.setex('two:ttl', 'v', 4);
    const expiresBy = Date.now() + 4000;
    a.presence.shutdown();
    await a.runtime.stop(); // drain: every shard of a moves to b
    assert.ok(Date.now() < expiresBy - 1000, 'the drain left time to see the key alive');
    assert.ok(
      shardKeys.every((s) => b.runtime.locate(PresenceShard, s) === 'b'),
      'b owns every shard',
    );
    assert.deepEqual(
      await Promise.all(keys.map((key) => b.presence.hget(key, 'n'))),
      keys.map((_, i) => String(i)),
      'the hashes moved with their shards',
    );
    assert.equal(await b.presence.get('two:ttl'), 'v', 'alive after the move');
    await sleep(expiresBy - Date.now() + 200);
    assert.equal(await b.presence.get('two:ttl'), null, 'the absolute expiry moved with the shard');
  });

  test('garbage on presence subjects is counted and dropped; presence keeps working', async () => {
    const cluster = newCluster();
    const { presence } = await startNode(cluster);
    const subjects = new PresenceSubjects(cluster);
    const inbox = new Inbox();
    await presence.subscribe('g-topic', inbox.cb);
    const raw = await connection('presence-garbage');
    const garbage = [
      Buffer.from('not msgpack at all'),
      Buffer.from([0xc1]),
      new Uint8Array(0),
      new Packr().pack(5), // valid msgpack, but not a presence message
      Buffer.from([0x92, 0x01]), // a truncated array
    ];
    for (const bytes of garbage) raw.publish(subjects.topic('g-topic'), bytes);
    raw.publish(subjects.channels, Buffer.from([0xc1]));
    await raw.flush();
    await waitFor(() => presence.garbageMessages === garbage.length + 1, 3000, 'every garbage message counted');
    await presence.publish('g-topic', 'real');
    await inbox.until(1, 'g-topic');
    assert.deepEqual(inbox.got, ['real'], 'callbacks only ever saw the real message');
    await presence.set('g-key', 'still works');
    assert.equal(await presence.get('g-key'), 'still works');
    assert.deepEqual(await presence.channels('g-*'), ['g-topic']);
    assert.equal(presence.garbageMessages, garbage.length + 1);
  });

  test('a throwing callback neither stops the other callbacks nor the subscription', async () => {
    const { presence } = await startNode(newCluster());
    const inbox = new Inbox();
    await presence.subscribe('throws', () => {
      throw new Error('callback bug');
    });
    await presence.subscribe('throws', async () => {
      throw new Error('async callback bug');
    });
    await presence.subscribe('throws', inbox.cb);
    await presence.publish('throws', 1);
    await presence.publish('throws', 2);
    await inbox.until(2, 'throws');
    assert.deepEqual(inbox.got, [1, 2]);
  });

  test("a message on a Colyseus request channel ($room, p:process) waits ~0.1 s for a first subscriber; others don't", async () => {
    const { presence } = await startNode(newCluster());
    const early = new Inbox();
    const plain = new Inbox();
    // Colyseus lists a room before it subscribes to its channel: a seat request can get there first.
    await presence.publish('$room1', 'seat');
    await presence.publish('p:proc1', 'create');
    await presence.publish('plain', 'lost');
    await sleep(10);
    await presence.subscribe('$room1', early.cb);
    await presence.subscribe('p:proc1', early.cb);
    await presence.subscribe('plain', plain.cb);
    await early.until(2, 'request channels');
    await presence.publish('plain', 'after');
    await plain.until(1, 'plain');
    await sleep(200);
    assert.deepEqual(sorted(early.got as string[]), ['create', 'seat']);
    assert.deepEqual(plain.got, ['after'], 'a plain topic drops what nobody listened to, as Redis does');
  });

  test('a request channel with a subscriber gets each message once; a garbage answer to it changes nothing', async () => {
    const cluster = newCluster();
    const { presence } = await startNode(cluster);
    const inbox = new Inbox();
    await presence.subscribe('$room2', inbox.cb);
    // Another client on the subject answers every request with garbage: the publisher neither resends nor fails.
    const raw = await connection('presence-hostile-answerer');
    const sub = raw.subscribe(new PresenceSubjects(cluster).topic('$room2'), {
      callback: (_err, msg) => {
        msg.respond(Buffer.from([0xc1, 0xff]));
      },
    });
    await raw.flush();
    await presence.publish('$room2', 1);
    await presence.publish('$room2', 2);
    await inbox.until(2, '$room2');
    await sleep(200);
    assert.deepEqual(inbox.got, [1, 2]);
    sub.unsubscribe();
    assert.equal(await presence.incr('still-serving'), 1);
  });

  test('expired keys are swept from the shard without being read', async () => {
    const node = await startNode(newCluster());
    const key = 'swept';
    const shard = node.runtime.get(PresenceShard, new ShardRouter(node.runtime, 64).shardKey(key));
    const before = await shard.stats();
    await node.presence.setex(key, 'v', 1);
    assert.deepEqual(await shard.stats(), { keys: before.keys + 1, expiring: before.expiring + 1 });
    await waitFor(async () => (await shard.stats()).keys === before.keys, 4000, 'the sweep to remove the key');
    assert.deepEqual(await shard.stats(), before);
  });

  test('shutdown ends a waiting brpop with null', async () => {
    const node = await startNode(newCluster());
    const presence = new NatsPresence({ runtime: node.runtime });
    const popped = presence.brpop('never-pushed', 0);
    await sleep(100);
    presence.shutdown();
    assert.equal(await popped, null);
  });
});
