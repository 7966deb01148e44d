import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { after, before, describe, test } from 'node:test';
import type { Presence, Room } from '@colyseus/core';
import { createScopedPresence } from '@colyseus/core/presence/Presence';
import { RedisPresence } from '@colyseus/redis-presence';
import type { NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, type RedisServer, startNats, startRedis } from '@resident/testing';
import pino from 'pino';
import { NatsPresence, PRESENCE_CLASSES } from '../../../src/colyseus/presence/index.ts';
import { ObjectRuntime } from '../../../src/objects/index.ts';
import { connectNats } from '../../../src/objects/internal.ts';
import { TEST_MEMBERSHIP_KEY } from '../../../testing/support.ts';
import { Inbox, sleep, sorted, waitFor } from './support.ts';

/**
 * One behaviour for every Presence: what Colyseus callers rely on, and Redis semantics where RedisPresence and
 * LocalPresence differ. Each call of `makePresence` must give a new instance with its own connection(s).
 */
export function conformance(name: string, makePresence: () => Promise<Presence>): void {
  describe(`${name} conforms to Presence`, () => {
    const ns = `cf-${randomBytes(4).toString('hex')}`;
    const k = (s: string) => `${ns}:${s}`;
    const made: Presence[] = [];
    let p: Presence;
    let other: Presence;
    const make = async () => {
      const presence = await makePresence();
      made.push(presence);
      return presence;
    };

    before(async () => {
      p = await make();
      other = await make();
    });
    after(() => {
      for (const presence of made) presence.shutdown();
    });

    test('strings: set, get, exists and del, whatever the key', async () => {
      for (const key of [
        k('plain'),
        k('with space'),
        k('dots.and*stars>'),
        k('ünï 🎲'),
        '__proto__',
        'constructor',
        '',
      ]) {
        assert.equal(await p.get(key), null, `${key} starts missing`);
        assert.equal(await p.exists(key), false);
        await p.set(key, `v:${key}`);
        assert.equal(await other.get(key), `v:${key}`, 'another instance sees the value');
        assert.equal(await p.exists(key), true);
        await p.set(key, 'second');
        assert.equal(await p.get(key), 'second');
        await p.del(key);
        assert.equal(await p.get(key), null);
        assert.equal(await p.exists(key), false);
      }
      await p.del(k('never-set')); // deleting a missing key is fine
    });

    test('exists and del work on every type', async () => {
      await p.set(k('t-str'), 'v');
      await p.hset(k('t-hash'), 'f', 'v');
      await p.sadd(k('t-set'), 'm');
      await p.rpush(k('t-list'), 'x');
      for (const key of ['t-str', 't-hash', 't-set', 't-list'].map(k)) {
        assert.equal(await other.exists(key), true, key);
        await other.del(key);
        assert.equal(await p.exists(key), false, key);
      }
    });

    test('incr and decr start at 0 and keep decimal strings', async () => {
      assert.equal(await p.incr(k('c')), 1);
      assert.equal(await other.incr(k('c')), 2);
      assert.equal(await p.decr(k('c')), 1);
      assert.equal(await p.get(k('c')), '1');
      assert.equal(await p.decr(k('d')), -1);
      await p.set(k('s'), '41');
      assert.equal(await p.incr(k('s')), 42);
      await p.set(k('nan'), 'abc');
      await assert.rejects(p.incr(k('nan')), /not an integer/);
      assert.equal(await p.get(k('nan')), 'abc', 'a failed incr changes nothing');
    });

    test('concurrent increments from two instances lose no update', async () => {
      const bumps = Array.from({ length: 100 }, (_, i) => (i % 2 ? p : other).incr(k('race')));
      const results = await Promise.all(bumps);
      assert.deepEqual(
        [...results].sort((a, b) => a - b),
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      const fields = Array.from({ length: 60 }, (_, i) => (i % 2 ? p : other).hincrby(k('race-h'), 'n', 1));
      await Promise.all(fields);
      assert.equal(await p.hget(k('race-h'), 'n'), '60');
    });

    test('an operation on a key of another type fails with WRONGTYPE', async () => {
      await p.hset(k('wt-hash'), 'f', 'v');
      await assert.rejects(p.get(k('wt-hash')), /WRONGTYPE/);
      await assert.rejects(p.incr(k('wt-hash')), /WRONGTYPE/);
      await p.set(k('wt-str'), 'x');
      await assert.rejects(p.hset(k('wt-str'), 'f', 'v'), /WRONGTYPE/);
      await assert.rejects(p.rpush(k('wt-str'), 'a'), /WRONGTYPE/);
      await assert.rejects(p.smembers(k('wt-str')), /WRONGTYPE/);
      assert.equal(await p.get(k('wt-str')), 'x');
    });

    test('hashes: hset reports new fields, hget/hgetall/hdel/hlen', async () => {
      const h = k('h');
      assert.equal(await p.hget(h, 'f'), null, 'missing key');
      assert.deepEqual(await p.hgetall(h), {});
      assert.equal(await p.hlen(h), 0);
      assert.equal(await p.hset(h, 'f', '1'), true, 'new field');
      assert.equal(await p.hset(h, 'f', '2'), false, 'overwritten field');
      assert.equal(await p.hset(h, '__proto__', 'p'), true);
      assert.equal(await other.hset(h, 'constructor', 'c'), true);
      assert.equal(await p.hget(h, 'f'), '2');
      assert.equal(await p.hget(h, 'nope'), null, 'missing field');
      assert.equal(await p.hget(h, '__proto__'), 'p');
      assert.deepEqual(
        await other.hgetall(h),
        Object.fromEntries([
          ['f', '2'],
          ['__proto__', 'p'],
          ['constructor', 'c'],
        ]),
      );
      assert.equal(await p.hlen(h), 3);
      assert.equal(await p.hdel(h, 'f'), true);
      assert.equal(await p.hdel(h, 'f'), false);
      assert.equal(await p.hdel(k('no-hash'), 'f'), false);
      await p.hdel(h, '__proto__');
      await p.hdel(h, 'constructor');
      assert.equal(await p.exists(h), false, 'an empty hash is gone');
    });

    test('hincrby starts at 0 and rejects non-integer fields', async () => {
      const h = k('hi');
      assert.equal(await p.hincrby(h, 'n', 5), 5);
      assert.equal(await other.hincrby(h, 'n', -7), -2);
      assert.equal(await p.hget(h, 'n'), '-2');
      await p.hset(h, 'txt', 'abc');
      await assert.rejects(p.hincrby(h, 'txt', 1), /not an integer/);
      assert.equal(await p.hget(h, 'txt'), 'abc');
    });

    test('sets: sadd, srem, smembers, sismember, scard', async () => {
      const s = k('set');
      assert.deepEqual(await p.smembers(s), []);
      assert.equal(await p.scard(s), 0);
      assert.equal(await p.sismember(s, 'a'), 0);
      await p.sadd(s, 'a');
      await p.sadd(s, 'a');
      await other.sadd(s, 'b');
      await p.sadd(s, 7);
      assert.deepEqual(sorted(await p.smembers(s)), ['7', 'a', 'b'], 'members are strings, added once');
      assert.equal(await p.scard(s), 3);
      assert.equal(await p.sismember(s, 'a'), 1);
      assert.equal(await p.sismember(s, 'z'), 0);
      assert.equal(await p.srem(s, 'a'), 1);
      assert.equal(await p.srem(s, 'a'), 0);
      assert.equal(await p.srem(k('no-set'), 'a'), 0);
      await p.srem(s, 'b');
      await p.srem(s, '7');
      assert.equal(await p.exists(s), false, 'an empty set is gone');
    });

    test('sinter intersects all the given sets', async () => {
      const [s1, s2, s3] = [k('si1'), k('si2'), k('si3')];
      for (const m of ['a', 'b', 'c']) await p.sadd(s1, m);
      for (const m of ['b', 'c', 'd']) await p.sadd(s2, m);
      for (const m of ['c', 'd', 'e']) await p.sadd(s3, m);
      assert.deepEqual(sorted(await p.sinter(s1, s2)), ['b', 'c']);
      assert.deepEqual(sorted(await other.sinter(s1, s2, s3)), ['c'], 'in every set, not just two');
      assert.deepEqual(sorted(await p.sinter(s1)), ['a', 'b', 'c']);
      assert.deepEqual(await p.sinter(s1, k('no-set')), []);
    });

    test('lists: push lengths, pop order, empty lists', async () => {
      const l = k('list');
      assert.equal(await p.rpop(l), null, 'missing key');
      assert.equal(await p.lpop(l), null);
      assert.equal(await p.llen(l), 0);
      assert.equal(await p.rpush(l, 'a'), 1);
      assert.equal(await other.rpush(l, 'b', 'c'), 3);
      assert.equal(await p.lpush(l, 'z', 'y'), 5, 'now y z a b c');
      assert.equal(await p.llen(l), 5);
      assert.equal(await p.lpop(l), 'y');
      assert.equal(await p.rpop(l), 'c');
      assert.equal(await other.rpop(l), 'b');
      assert.equal(await p.lpop(l), 'z');
      assert.equal(await p.lpop(l), 'a');
      assert.equal(await p.lpop(l), null);
      assert.equal(await p.rpop(l), null);
      assert.equal(await p.exists(l), false, 'an empty list is gone');
    });

    test('brpop returns an available element from the first non-empty key', async () => {
      await p.rpush(k('bq-full'), 'first', 'last');
      assert.deepEqual(await p.brpop(k('bq-empty'), k('bq-full'), 1), [k('bq-full'), 'last']);
    });

    test('brpop waits for a push from another instance', async () => {
      const started = Date.now();
      const popped = p.brpop(k('bw-a'), k('bw-b'), 5);
      await sleep(300);
      assert.equal(await other.lpush(k('bw-b'), 'hello'), 1);
      assert.deepEqual(await popped, [k('bw-b'), 'hello']);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 3000, `woke after the push (${elapsed} ms)`);
      assert.equal(await p.llen(k('bw-b')), 0, 'the element was taken');
    });

    test('brpop times out with null', async () => {
      const started = Date.now();
      assert.equal(await p.brpop(k('bt'), 1), null);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 900 && elapsed < 2500, `timed out after about a second (${elapsed} ms)`);
    });

    test('TTL: setex, expire and hincrbyex keys vanish; set clears a TTL, incr keeps it', async () => {
      await p.setex(k('ex'), 'v', 1);
      await p.set(k('exp-str'), 'v');
      await p.expire(k('exp-str'), 1);
      await p.hset(k('exp-hash'), 'f', 'v');
      await p.expire(k('exp-hash'), 1);
      assert.equal(await p.hincrbyex(k('hix'), 'n', 2, 1), 2);
      assert.equal(await other.hincrbyex(k('hix'), 'n', 3, 1), 5);
      await p.setex(k('cleared'), 'v', 1);
      await p.set(k('cleared'), 'v2');
      await p.setex(k('counter'), '5', 1);
      assert.equal(await p.incr(k('counter')), 6);
      await p.expire(k('missing'), 1);
      await p.set(k('zero'), 'v');
      await p.expire(k('zero'), 0);
      assert.equal(await p.exists(k('missing')), false, 'expire does not create a key');
      assert.equal(await p.exists(k('zero')), false, 'a TTL of 0 deletes at once');
      assert.equal(await other.get(k('ex')), 'v', 'alive before its TTL');
      assert.equal(await p.exists(k('exp-hash')), true);
      assert.equal(await p.hget(k('hix'), 'n'), '5');
      await sleep(1200);
      assert.equal(await other.get(k('ex')), null);
      assert.equal(await p.exists(k('ex')), false);
      assert.equal(await p.exists(k('exp-str')), false);
      assert.deepEqual(await p.hgetall(k('exp-hash')), {});
      assert.equal(await p.hget(k('hix'), 'n'), null);
      assert.equal(await p.get(k('cleared')), 'v2', 'set removed the TTL');
      assert.equal(await p.get(k('counter')), null, 'incr kept the TTL');
      assert.equal(await p.incr(k('counter')), 1, 'an expired counter starts again at 0');
    });

    test('publish reaches subscribers on other instances, whatever the topic string', async () => {
      const topics = [
        'plain',
        'with space',
        'a.b.c',
        '*',
        '>',
        'a.*.>',
        'ünïcødé 🎲',
        '',
        ' ',
        '\t\n',
        'x'.repeat(3000),
      ];
      const inboxes = topics.map(() => new Inbox());
      for (const [i, topic] of topics.entries()) await p.subscribe(topic, inboxes[i]!.cb);
      const payloads = topics.map((topic, i) => ({ i, topic, nested: [1, 'two', null, true, { deep: 1.5 }] }));
      for (const [i, topic] of topics.entries()) await other.publish(topic, payloads[i]);
      for (const [i, inbox] of inboxes.entries()) await inbox.until(1, JSON.stringify(topics[i]).slice(0, 40));
      await sleep(100); // room for a wrongly routed duplicate to show up
      for (const [i, inbox] of inboxes.entries()) assert.deepEqual(inbox.got, [payloads[i]], `topic #${i} only`);
      for (const topic of topics) await p.unsubscribe(topic);
    });

    test('published values arrive as sent, in order; undefined arrives as false', async () => {
      const inbox = new Inbox();
      await p.subscribe(k('values'), inbox.cb);
      const values = ['text', 42, -1.5, null, true, [1, 'a', [2]], { a: { b: 'c' } }];
      for (const v of values) await other.publish(k('values'), v);
      await other.publish(k('values'), undefined);
      await inbox.until(values.length + 1, 'values');
      assert.deepEqual(inbox.got, [...values, false]);
      await p.unsubscribe(k('values'));
    });

    test('a subscription is live as soon as subscribe resolves', async () => {
      // The subscriber's own connection is busy (megabytes queued ahead of its subscriptions) while the publisher's is
      // idle: a subscription that reached the server only after the publish would miss it.
      const ballast = Array.from({ length: 10 }, () => p.publish(k('ballast'), 'x'.repeat(400_000)));
      const topics = Array.from({ length: 20 }, (_, i) => k(`live-${i}`));
      const inboxes = topics.map(() => new Inbox());
      await Promise.all(topics.map((t, i) => p.subscribe(t, inboxes[i]!.cb).then(() => other.publish(t, i))));
      await Promise.all(ballast);
      for (const [i, inbox] of inboxes.entries()) await inbox.until(1, topics[i]!);
      for (const [i, inbox] of inboxes.entries()) assert.deepEqual(inbox.got, [i]);
      for (const t of topics) await p.unsubscribe(t);
    });

    test('unsubscribe(topic, cb) removes one callback, unsubscribe(topic) all', async () => {
      const [t, mark] = [k('unsub'), k('unsub-mark')];
      const [a, b, marks] = [new Inbox(), new Inbox(), new Inbox()];
      await p.subscribe(t, a.cb);
      await p.subscribe(t, b.cb);
      await p.subscribe(mark, marks.cb);
      await other.publish(t, 1);
      await b.until(1, t);
      await p.unsubscribe(t, a.cb);
      await other.publish(t, 2);
      await other.publish(mark, 'm1'); // same publisher, same subscriber: arrives after 2
      await marks.until(1, mark);
      assert.deepEqual(a.got, [1]);
      assert.deepEqual(b.got, [1, 2]);
      await p.unsubscribe(t);
      await other.publish(t, 3);
      await other.publish(mark, 'm2');
      await marks.until(2, mark);
      assert.deepEqual(a.got, [1]);
      assert.deepEqual(b.got, [1, 2]);
      await p.unsubscribe(mark);
    });

    test('a callback registered twice runs twice, until one registration is removed', async () => {
      const [t, inbox] = [k('twice'), new Inbox()];
      await p.subscribe(t, inbox.cb);
      await p.subscribe(t, inbox.cb);
      await other.publish(t, 'x');
      await inbox.until(2, t);
      await p.unsubscribe(t, inbox.cb);
      await other.publish(t, 'y');
      await inbox.until(3, t);
      await sleep(100);
      assert.deepEqual(inbox.got, ['x', 'x', 'y']);
      await p.unsubscribe(t);
    });

    test('a callback that unsubscribes itself does not starve the next one (Colyseus IPC does this)', async () => {
      const [t, inbox] = [k('self-unsub'), new Inbox()];
      let selfCalls = 0;
      const once = () => {
        selfCalls++;
        p.unsubscribe(t, once);
      };
      await p.subscribe(t, once);
      await p.subscribe(t, inbox.cb);
      await other.publish(t, 1);
      await other.publish(t, 2);
      await inbox.until(2, t);
      assert.equal(selfCalls, 1);
      assert.deepEqual(inbox.got, [1, 2]);
      await p.unsubscribe(t);
    });

    test('channels(pattern) lists subscribed topics of every instance, by glob', async () => {
      const c = (s: string) => k(`chan:${s}`);
      const noop = () => {};
      await p.subscribe(c('a'), noop);
      await p.subscribe(c('b'), noop);
      await other.subscribe(c('c'), noop);
      await other.subscribe(k('elsewhere'), noop);
      assert.deepEqual(sorted(await p.channels(`${ns}:chan:*`)), [c('a'), c('b'), c('c')]);
      assert.deepEqual(sorted(await other.channels(`${ns}:chan:?`)), [c('a'), c('b'), c('c')]);
      assert.deepEqual(sorted(await p.channels(`${ns}:chan:[ab]`)), [c('a'), c('b')]);
      assert.deepEqual(sorted(await p.channels(`${ns}:chan:[^ab]`)), [c('c')]);
      assert.deepEqual(await p.channels(`${ns.toUpperCase()}:chan:*`), [], 'case-sensitive');
      const everything = await p.channels();
      assert.ok(everything.includes(c('a')) && everything.includes(k('elsewhere')), 'no pattern lists all');
      await p.unsubscribe(c('a'));
      assert.deepEqual(sorted(await other.channels(`${ns}:chan:*`)), [c('b'), c('c')]);
      for (const t of [c('b')]) await p.unsubscribe(t);
      for (const t of [c('c'), k('elsewhere')]) await other.unsubscribe(t);
      assert.deepEqual(await p.channels(`${ns}:*`), []);
    });

    test("works through Colyseus' per-room scoped presence, which drops the room's subscriptions on dispose", async () => {
      const events = new EventEmitter();
      const room = { _events: events } as unknown as Room; // all createScopedPresence touches
      const scoped = createScopedPresence(room, p);
      const [t, inbox] = [k('scoped'), new Inbox()];
      await scoped.subscribe(t, inbox.cb);
      await other.publish(t, 'in room');
      await inbox.until(1, t);
      await scoped.set(k('scoped-key'), 'v');
      assert.equal(await other.get(k('scoped-key')), 'v');
      events.emit('dispose');
      await waitFor(async () => (await other.channels(t)).length === 0, 3000, 'the room subscription gone');
      await other.publish(t, 'after dispose');
      await sleep(100);
      assert.deepEqual(inbox.got, ['in room']);
    });

    test('shutdown drops every subscription of that instance', async () => {
      const q = await make();
      const [t, inbox] = [k('shutdown'), new Inbox()];
      await q.subscribe(t, inbox.cb);
      await q.subscribe(k('shutdown-2'), inbox.cb);
      assert.deepEqual(sorted(await p.channels(`${ns}:shutdown*`)), sorted([t, k('shutdown-2')]));
      q.setMaxListeners(100);
      q.shutdown();
      await waitFor(async () => (await p.channels(`${ns}:shutdown*`)).length === 0, 3000, 'subscriptions gone');
      await other.publish(t, 'after');
      await sleep(200);
      assert.deepEqual(inbox.got, []);
    });
  });
}

/** RedisPresence.shutdown quits without waiting; this one lets the suite wait, so nothing outlives redis-server. */
class ClosableRedisPresence extends RedisPresence {
  closed: Promise<unknown> | undefined;

  override shutdown(): void {
    this.closed ??= Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }
}

describe('RedisPresence (reference)', () => {
  let redis: RedisServer;
  const made: ClosableRedisPresence[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const presence of made) presence.shutdown();
    await Promise.all(made.map((presence) => presence.closed));
    await redis?.close();
  });
  conformance('RedisPresence', async () => {
    const presence = new ClosableRedisPresence({ host: '127.0.0.1', port: redis.port });
    made.push(presence);
    return presence;
  });
});

describe('NatsPresence', () => {
  let nats: NatsCluster;
  let nc: NatsConnection;
  let runtime: ObjectRuntime;
  const connections: NatsConnection[] = [];
  before(async () => {
    nats = await startNats();
    nc = await connectNats(nats.urls, 'presence-runtime');
    runtime = await ObjectRuntime.start({
      classes: [...PRESENCE_CLASSES],
      nats: { connection: nc, cluster: `p${randomBytes(4).toString('hex')}`, membershipKey: TEST_MEMBERSHIP_KEY },
      log: pino({ level: 'silent' }),
    });
  });
  after(async () => {
    await runtime?.stop({ drain: false });
    for (const c of connections) await c.close();
    await nc?.close();
    await nats?.close();
  });
  // Each instance gets a connection of its own, so pub/sub really crosses connections, as between nodes.
  conformance('NatsPresence', async () => {
    const connection = await connectNats(nats.urls, 'presence-instance');
    connections.push(connection);
    return new NatsPresence({ runtime, connection });
  });
});
