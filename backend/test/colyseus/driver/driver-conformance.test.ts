import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IRoomCache, MatchMakerDriver } from '@colyseus/core';
import { RedisDriver } from '@colyseus/redis-driver';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, type RedisServer, startNats, startNatsCluster, startRedis } from '@resident/testing';
import { NatsDriver } from '../../../src/colyseus/driver/index.ts';
import { listingKey as listingKeyOf } from '../../../src/colyseus/driver/listing-codec.ts';
import { connectNats } from '../../../src/objects/internal.ts';
import { capturingLog, eventually, listing, randomCluster, silentLog, uid } from './fixtures.ts';

/** Where a driver knowingly differs from the contract NatsDriver keeps; each one is asserted as it is. */
interface Quirks {
  /** RedisDriver hands `createdAt` back as the ISO string JSON made of it, not a Date. */
  readonly createdAtAsString: boolean;
  /** RedisDriver stores `maxClients: Infinity` as JSON null and hands back null. */
  readonly infinityAsNull: boolean;
  /**
   * RedisDriver's `$inc` adds to the caller's copy and writes that whole copy back: increments made through two
   * different copies (two nodes) overwrite each other.
   */
  readonly incrementsCallerCopy: boolean;
  /** RedisDriver's update writes the caller's copy even when the listing was removed, listing it again. */
  readonly updateRelists: boolean;
  /** RedisDriver has no insert(); the matchmaker then falls back to persist(room, true), where the last write wins. */
  readonly noInsert: boolean;
}

interface Nodes {
  /** Two drivers on separate connections, as two nodes have. */
  readonly a: MatchMakerDriver;
  readonly b: MatchMakerDriver;
  close(): Promise<void>;
}

interface Profile {
  readonly name: string;
  readonly quirks: Quirks;
  start(): Promise<Nodes>;
}

const redisProfile: Profile = {
  name: 'RedisDriver',
  quirks: {
    createdAtAsString: true,
    infinityAsNull: true,
    incrementsCallerCopy: true,
    updateRelists: true,
    noInsert: true,
  },
  async start() {
    let server: RedisServer | undefined = await startRedis();
    const port = server.port;
    const a = new RedisDriver({ host: '127.0.0.1', port });
    const b = new RedisDriver({ host: '127.0.0.1', port });
    return {
      a,
      b,
      async close() {
        await Promise.allSettled([a.shutdown(), b.shutdown()]);
        await server?.close();
        server = undefined;
      },
    };
  },
};

const natsProfile: Profile = {
  name: 'NatsDriver',
  quirks: {
    createdAtAsString: false,
    infinityAsNull: false,
    incrementsCallerCopy: false,
    updateRelists: false,
    noInsert: false,
  },
  async start() {
    const nats = await startNats();
    const cluster = randomCluster();
    const connections: NatsConnection[] = [];
    try {
      const open = async (name: string) => {
        const nc = await connectNats(nats.urls, name);
        connections.push(nc);
        return NatsDriver.open(nc, { cluster, log: silentLog });
      };
      const a = await open('node-a');
      const b = await open('node-b');
      return {
        a,
        b,
        async close() {
          await Promise.allSettled([a.shutdown(), b.shutdown()]);
          await closeAll(connections, nats);
        },
      };
    } catch (err) {
      await closeAll(connections, nats);
      throw err;
    }
  },
};

async function closeAll(connections: NatsConnection[], nats: NatsCluster): Promise<void> {
  await Promise.allSettled(connections.map((nc) => nc.close()));
  await nats.close();
}

for (const profile of [redisProfile, natsProfile]) conformance(profile);

/** The MatchMakerDriver contract as Colyseus 0.18 uses it, run once per driver. */
function conformance(profile: Profile): void {
  describe(`${profile.name}: MatchMakerDriver contract`, () => {
    const { quirks } = profile;
    let nodes: Nodes | undefined;
    const a = (): MatchMakerDriver => must(nodes).a;
    const b = (): MatchMakerDriver => must(nodes).b;

    before(async () => {
      nodes = await profile.start();
    });
    after(async () => {
      await nodes?.close();
    });

    /** Stored on a; once b lists it too (at once on Redis, through the watch on NATS). */
    async function persistSeen(room: IRoomCache): Promise<void> {
      assert.equal(await a().persist(room, true), true);
      await eventually(`b lists ${room.roomId}`, () => b().has(room.roomId));
    }

    const clientsOf = async (driver: MatchMakerDriver, roomId: string) => (await driver.findOne({ roomId }))?.clients;

    it('persist(room, true) lists the room: the writer queries it at once, the other node soon', async () => {
      const name = uid('persist');
      const room = listing({ name, maxClients: 4, metadata: { mode: 'ffa' }, publicAddress: 'node-a:2567' });
      assert.equal(await a().persist(room, true), true);

      const [found] = await a().query({ name });
      assert.ok(found, 'the writer lists its own write at once');
      assert.equal(found.roomId, room.roomId);
      assert.equal(found.processId, 'proc-1');
      assert.equal(found.clients, 0);
      assert.equal(found.maxClients, 4);
      assert.equal(found.locked, false);
      assert.equal(found.private, false);
      assert.equal(found.unlisted, false);
      assert.equal(found.publicAddress, 'node-a:2567');
      assert.deepEqual(found.metadata, { mode: 'ffa' });
      await eventually('b queries it', async () => (await b().query({ name })).length === 1);
    });

    it('persist(room) without create re-saves a listed room in place (how setMetadata stores)', async () => {
      const name = uid('resave');
      const room = listing({ name, metadata: { mode: 'ffa' } });
      await persistSeen(room);
      room.metadata = { mode: 'duel' };
      assert.equal(await a().persist(room), true);

      assert.deepEqual((await a().findOne({ roomId: room.roomId }))?.metadata, { mode: 'duel' });
      assert.equal((await a().query({ name })).length, 1, 'replaced, not listed twice');
      await eventually(
        'b reads the new metadata',
        async () => (await b().findOne({ mode: 'duel', name })) !== undefined,
      );
    });

    it('persist refuses a room without a roomId', async () => {
      const room = listing({ name: uid('noid') });
      const withoutId = { ...room, roomId: undefined } as unknown as IRoomCache;
      assert.equal(await a().persist(withoutId, true), false);
      assert.deepEqual(await a().query({ name: room.name }), []);
    });

    it("findOne keeps to the matchmaker's conditions: name, locked, private, filter options in metadata", async () => {
      const name = uid('filter');
      const open = listing({ name, clients: 1, maxClients: 4, metadata: { mode: 'ffa' } });
      const full = listing({ name, clients: 4, maxClients: 4, locked: true, metadata: { mode: 'ffa' } });
      const hidden = listing({ name, private: true, metadata: { mode: 'ffa' } });
      const duel = listing({ name, metadata: { mode: 'duel' } });
      const elsewhere = listing({ name: uid('other'), metadata: { mode: 'ffa' } });
      for (const room of [open, full, hidden, duel, elsewhere]) assert.equal(await a().persist(room, true), true);

      // findOneRoomAvailable's conditions: { locked: false, name, private: false, ...handler.getFilterOptions() }.
      const available = { locked: false, name, private: false };
      assert.equal((await a().findOne({ ...available, mode: 'ffa' }))?.roomId, open.roomId);
      assert.equal((await a().findOne({ ...available, mode: 'duel' }))?.roomId, duel.roomId);
      assert.equal(await a().findOne({ ...available, mode: 'ctf' }), undefined);
      assert.equal(await a().findOne({ name, difficulty: 'hard' }), undefined, 'a field in neither never matches');
      assert.equal((await a().findOne({ name, processId: 'proc-1', clients: 4 }))?.roomId, full.roomId);
      const free = await a().query({ ...available });
      assert.deepEqual(ids(free), new Set([open.roomId, duel.roomId]));
      assert.deepEqual(ids(await a().query({ mode: 'ffa', name })), new Set([open.roomId, full.roomId, hidden.roomId]));
    });

    it('a listing field shadows a metadata key of the same name', async () => {
      const name = uid('shadow');
      const room = listing({ name, clients: 1, metadata: { clients: 99, mode: 'ffa' } });
      await a().persist(room, true);
      assert.equal(await a().findOne({ name, clients: 99 }), undefined);
      assert.equal((await a().findOne({ name, clients: 1 }))?.roomId, room.roomId);
    });

    it('a room the matchmaker fills up (clients reach maxClients, locked) is no longer found available', async () => {
      const name = uid('fill');
      const room = listing({ name, maxClients: 2 });
      await a().persist(room, true);
      // What Room#_incrementClientCount sends per join; the room locks itself at maxClients.
      await a().update(room, { $inc: { clients: 1 }, $set: { locked: false } });
      assert.equal((await a().findOne({ locked: false, name, private: false }))?.roomId, room.roomId);
      await a().update(room, { $inc: { clients: 1 }, $set: { locked: true } });
      assert.equal(await a().findOne({ locked: false, name, private: false }), undefined);
      assert.equal((await a().findOne({ roomId: room.roomId }))?.clients, 2);
    });

    it('findOne and query sort by fields and metadata keys, in every direction Colyseus names', async () => {
      const name = uid('sort');
      const t0 = Date.UTC(2024, 0, 1);
      const r1 = listing({ name, clients: 1, createdAt: new Date(t0 + 1_000), metadata: { rank: 'b' } });
      const r3 = listing({ name, clients: 3, createdAt: new Date(t0 + 2_000), metadata: { rank: 'a' } });
      const r2old = listing({ name, clients: 2, createdAt: new Date(t0), metadata: { rank: 'c' } });
      const r2new = listing({ name, clients: 2, createdAt: new Date(t0 + 3_000), metadata: { rank: 'd' } });
      for (const room of [r1, r3, r2old, r2new]) await a().persist(room, true);

      for (const up of [1, 'asc', 'ascending'] as const) {
        assert.equal((await a().findOne({ name }, { clients: up }))?.roomId, r1.roomId, `clients ${up}`);
      }
      for (const down of [-1, 'desc', 'descending'] as const) {
        assert.equal((await a().findOne({ name }, { clients: down }))?.roomId, r3.roomId, `clients ${down}`);
      }
      assert.equal((await a().findOne({ name }, { rank: 1 }))?.roomId, r3.roomId, 'by a metadata key');
      assert.equal((await a().findOne({ name }, { createdAt: 1 }))?.roomId, r2old.roomId, 'by createdAt');
      const byClientsThenNewest = await a().query({ name }, { clients: 1, createdAt: -1 });
      assert.deepEqual(
        byClientsThenNewest.map((r) => r.roomId),
        [r1.roomId, r2new.roomId, r2old.roomId, r3.roomId],
      );
      const byRankDown = await a().query({ name }, { rank: 'descending' });
      assert.deepEqual(
        byRankDown.map((r) => r.roomId),
        [r2new.roomId, r2old.roomId, r1.roomId, r3.roomId],
      );
    });

    it('findOne({ roomId }) finds that listing; nothing matching gives undefined', async () => {
      const room = listing({ name: uid('byid') });
      await a().persist(room, true);
      assert.equal((await a().findOne({ roomId: room.roomId }))?.name, room.name);
      assert.equal(await a().findOne({ roomId: uid('missing') }), undefined);
      assert.equal(await a().findOne({ name: uid('nobody') }), undefined);
    });

    it('update applies $set and $inc to the stored listing and to the room passed in', async () => {
      const room = listing({ name: uid('update'), clients: 1, maxClients: 8 });
      await persistSeen(room);
      assert.equal(
        await a().update(room, { $inc: { clients: 2 }, $set: { locked: true, metadata: { round: 2 } } }),
        true,
      );

      assert.equal(room.clients, 3, 'the room passed in is updated too');
      assert.equal(room.locked, true);
      const stored = await a().findOne({ roomId: room.roomId });
      assert.equal(stored?.clients, 3);
      assert.equal(stored?.locked, true);
      assert.deepEqual(stored?.metadata, { round: 2 });
      assert.equal(stored?.maxClients, 8, 'fields not named stay');
      await eventually('b reads the update', async () => (await b().findOne({ roomId: room.roomId }))?.locked === true);
    });

    it("50 concurrent $inc on one node's listing object all count (how a room counts its joins)", async () => {
      const room = listing({ name: uid('inc-one') });
      await a().persist(room, true);
      const results = await Promise.all(Array.from({ length: 50 }, () => a().update(room, { $inc: { clients: 1 } })));
      assert.ok(results.every((ok) => ok === true));
      assert.equal(room.clients, 50);
      assert.equal(await clientsOf(a(), room.roomId), 50);
    });

    it(`50 concurrent $inc from two nodes, each with its own copy of the listing: ${
      quirks.incrementsCallerCopy ? 'increments are lost (RedisDriver writes the caller copy)' : 'exactly +50'
    }`, async () => {
      const room = listing({ name: uid('inc-two'), clients: 7 });
      await persistSeen(room);
      const copyA = must(await a().findOne({ roomId: room.roomId }));
      const copyB = must(await b().findOne({ roomId: room.roomId }));
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 2 === 0 ? a().update(copyA, { $inc: { clients: 1 } }) : b().update(copyB, { $inc: { clients: 1 } }),
        ),
      );
      // Each copy counted its own 25; RedisDriver stores whichever copy wrote last.
      const expected = quirks.incrementsCallerCopy ? 7 + 25 : 7 + 50;
      // Each node reads its own last write at once, the other node's through the watch.
      for (const [node, driver] of [
        ['a', a()],
        ['b', b()],
      ] as const) {
        await eventually(`${node} reads ${expected}`, async () => (await clientsOf(driver, room.roomId)) === expected);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await clientsOf(a(), room.roomId), expected, 'and it stays');
      assert.equal(await clientsOf(b(), room.roomId), expected, 'and it stays');
    });

    it(`update after remove ${quirks.updateRelists ? 'lists the room again (RedisDriver)' : 'is refused and lists nothing'}`, async () => {
      const room = listing({ name: uid('gone') });
      await a().persist(room, true);
      assert.equal(await a().remove(room.roomId), true);
      assert.equal(await a().update(room, { $inc: { clients: 1 } }), quirks.updateRelists);
      assert.equal(await a().has(room.roomId), quirks.updateRelists);
      assert.equal(room.clients, 1, 'the room passed in is updated either way');
    });

    if (quirks.noInsert) {
      it('has no insert(), so the matchmaker falls back to persist(room, true)', () => {
        assert.equal(a().insert, undefined);
      });
    } else {
      it('insert lists a new room and refuses a roomId already listed', async () => {
        const insert = must(a().insert).bind(a());
        const room = listing({ name: uid('insert'), processId: 'first' });
        assert.equal(await insert(room), true);
        assert.equal(await insert({ ...room, processId: 'second' }), false);
        assert.equal((await a().findOne({ roomId: room.roomId }))?.processId, 'first');
      });

      it('insert of one roomId from two nodes at once: exactly one wins', async () => {
        for (let round = 0; round < 10; round++) {
          const room = listing({ name: uid('race') });
          const results = await Promise.all([
            must(a().insert).call(a(), { ...room, processId: 'a' }),
            must(b().insert).call(b(), { ...room, processId: 'b' }),
          ]);
          assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${results}`);
          const winner = results[0] ? 'a' : 'b';
          await eventually('both read the winner', async () => {
            const [x, y] = await Promise.all([
              a().findOne({ roomId: room.roomId }),
              b().findOne({ roomId: room.roomId }),
            ]);
            return x?.processId === winner && y?.processId === winner;
          });
        }
      });
    }

    it('has answers for listed, removed and unknown roomIds', async () => {
      const room = listing({ name: uid('has') });
      assert.equal(await a().has(room.roomId), false);
      await a().persist(room, true);
      assert.equal(await a().has(room.roomId), true);
      await a().remove(room.roomId);
      assert.equal(await a().has(room.roomId), false);
    });

    it('findByIds returns the listed ones keyed by roomId, in one call', async () => {
      const name = uid('byids');
      const x = listing({ name, clients: 1 });
      const y = listing({ name, clients: 2 });
      await a().persist(x, true);
      await a().persist(y, true);
      const missing = uid('missing');
      const found = await a().findByIds([x.roomId, missing, y.roomId]);
      assert.deepEqual([...found.keys()].sort(), [x.roomId, y.roomId].sort());
      assert.equal(found.get(y.roomId)?.clients, 2);
      assert.equal((await a().findByIds([])).size, 0);
    });

    it('remove deletes the listing everywhere; a second remove says false', async () => {
      const room = listing({ name: uid('remove') });
      await persistSeen(room);
      assert.equal(await a().remove(room.roomId), true);
      assert.equal(await a().remove(room.roomId), false);
      assert.equal(await a().has(room.roomId), false);
      assert.deepEqual(await a().query({ name: room.name }), []);
      await eventually('b no longer lists it', async () => !(await b().has(room.roomId)));
    });

    it('a remove issued while a persist is in flight applies after it: reads at once, and later, find nothing', async () => {
      const room = listing({ name: uid('order') });
      await persistSeen(room);
      room.metadata = { round: 1 };
      const persisted = a().persist(room);
      const removed = a().remove(room.roomId);
      assert.deepEqual(await a().query({ roomId: room.roomId }), [], 'a query right after the remove');
      assert.equal(await persisted, true);
      assert.deepEqual(await a().query({ roomId: room.roomId }), [], 'a query once the persist has resolved');
      assert.equal(await a().has(room.roomId), false);
      assert.equal(await removed, true);
      assert.deepEqual(await a().query({ name: room.name }), []);
      await eventually('b no longer lists it', async () => !(await b().has(room.roomId)));
    });

    it('a room whose metadata keeps changing until it is disposed (un-awaited writes, as Colyseus makes) is delisted, every time', async () => {
      const name = uid('lobby');
      for (let run = 0; run < 20; run++) {
        const room = listing({ name });
        const writes = [a().persist(room, true)];
        for (let i = 0; i < 5; i++) {
          room.metadata = { i };
          writes.push(a().persist(room));
          // A LobbyRoom reads the listing on every update event, and after the dispose event.
          const found = await a().query({ roomId: room.roomId });
          assert.deepEqual(found[0]?.metadata, { i }, `run ${run}: a query after update ${i}`);
        }
        writes.push(a().remove(room.roomId));
        assert.deepEqual(await a().query({ roomId: room.roomId }), [], `run ${run}: a query after the dispose`);
        assert.deepEqual(await Promise.all(writes), Array(writes.length).fill(true), `run ${run}: every write`);
        assert.deepEqual(await a().query({ name }), [], `run ${run}: nothing left listed`);
      }
      await eventually('b lists none of them', async () => (await b().query({ name })).length === 0);
    });

    it("a listing without processId (or clients, maxClients) is accepted, as Colyseus's own drivers accept it", async () => {
      const room = listing({ name: uid('noproc') });
      const bare = { roomId: room.roomId, name: room.name, metadata: { mode: 'ffa' } } as unknown as IRoomCache;
      assert.equal(await a().persist(bare, true), true);
      const found = await a().findOne({ roomId: room.roomId });
      assert.equal(found?.name, room.name);
      assert.equal(found?.processId, undefined);
      assert.deepEqual(found?.metadata, { mode: 'ffa' });
      assert.equal(await a().update(found!, { $inc: { clients: 1 } }), true);
      await eventually('b lists it, with its client', async () => (await clientsOf(b(), room.roomId)) === 1);
      assert.equal(await a().remove(room.roomId), true);
    });

    it("cleanup(processId) removes that process's listings, written by another node, and no others", async () => {
      const name = uid('cleanup');
      const dead = uid('dead-proc');
      const live = uid('live-proc');
      const deadRooms = [listing({ name, processId: dead }), listing({ name, processId: dead })];
      const liveRoom = listing({ name, processId: live });
      for (const room of deadRooms) assert.equal(await b().persist(room, true), true);
      assert.equal(await a().persist(liveRoom, true), true);
      await eventually('a lists the dead process rooms', async () => (await a().query({ name })).length === 3);

      await a().cleanup?.(dead);
      assert.deepEqual(ids(await a().query({ name })), new Set([liveRoom.roomId]));
      await eventually('b lists only the live room', async () => (await b().query({ name })).length === 1);
      assert.equal((await b().findOne({ name }))?.processId, live);
    });

    it('clear removes every listing', async () => {
      const name = uid('clear');
      const rooms = [listing({ name }), listing({ name: uid('clear-other') })];
      for (const room of rooms) await persistSeen(room);
      await a().clear();
      for (const room of rooms) assert.equal(await a().has(room.roomId), false);
      assert.deepEqual(await a().query({}), []);
      await eventually('b lists nothing', async () => (await b().query({})).length === 0);
    });

    it(`createdAt comes back ${quirks.createdAtAsString ? 'as its ISO string (RedisDriver)' : 'as an equal Date'}, maxClients Infinity ${quirks.infinityAsNull ? 'as null (RedisDriver)' : 'as Infinity'}`, async () => {
      const createdAt = new Date(Date.UTC(2025, 4, 6, 7, 8, 9, 123));
      const room = listing({ name: uid('dates'), createdAt, maxClients: Number.POSITIVE_INFINITY });
      await persistSeen(room);
      for (const driver of [a(), b()]) {
        const stored = must(await driver.findOne({ roomId: room.roomId }));
        const read = [stored, must((await driver.query({ name: room.name }))[0])];
        read.push(must((await driver.findByIds([room.roomId])).get(room.roomId)));
        for (const copy of read) {
          if (quirks.createdAtAsString) assert.equal(copy.createdAt, createdAt.toISOString());
          else {
            assert.ok(copy.createdAt instanceof Date, 'a Date');
            assert.equal(copy.createdAt.getTime(), createdAt.getTime());
          }
          assert.equal(copy.maxClients, quirks.infinityAsNull ? null : Number.POSITIVE_INFINITY);
        }
      }
    });

    it('roomIds that are not plain tokens round-trip (dots, wildcards, spaces, escapes, unicode)', async () => {
      const name = uid('oddids');
      const odd = ['a.b', '*', '>', 'a b', '=', '=003d', 'ünï/日本', '😀', 'x'.repeat(300)];
      for (const roomId of odd) assert.equal(await a().persist(listing({ name, roomId }), true), true, roomId);
      assert.deepEqual(ids(await a().query({ name })), new Set(odd));
      for (const roomId of odd) {
        assert.equal(await a().has(roomId), true, roomId);
        assert.equal((await a().findOne({ roomId }))?.roomId, roomId);
      }
      assert.equal((await a().findByIds(odd)).size, odd.length);
      await eventually('b lists them', async () => (await b().query({ name })).length === odd.length);
      for (const roomId of odd) assert.equal(await a().remove(roomId), true, roomId);
      assert.deepEqual(await a().query({ name }), []);
    });

    it('listings handed out are copies: changing one changes nothing stored', async () => {
      const room = listing({ name: uid('copies'), metadata: { mode: 'ffa' } });
      await a().persist(room, true);
      const copy = must(await a().findOne({ roomId: room.roomId }));
      copy.clients = 42;
      (copy.metadata as { mode: string }).mode = 'changed';
      room.clients = 41;
      const again = must(await a().findOne({ roomId: room.roomId }));
      assert.equal(again.clients, 0);
      assert.deepEqual(again.metadata, { mode: 'ffa' });
    });
  });
}

function ids(rooms: IRoomCache[]): Set<string> {
  return new Set(rooms.map((r) => r.roomId));
}

function must<T>(value: T | undefined | null): T {
  assert.ok(value !== undefined && value !== null, 'expected a value');
  return value;
}

/** What only the NATS driver promises: a replica on every node, kept current by the bucket watch. */
describe('NatsDriver: local replica', () => {
  let nats: NatsCluster | undefined;
  let cluster = '';
  const connections: NatsConnection[] = [];
  const drivers: NatsDriver[] = [];

  before(async () => {
    nats = await startNats();
    cluster = randomCluster();
  });
  after(async () => {
    await Promise.allSettled(drivers.map((d) => d.shutdown()));
    await Promise.allSettled(connections.map((nc) => nc.close()));
    await nats?.close();
  });

  async function connection(name: string): Promise<NatsConnection> {
    const nc = await connectNats(must(nats).urls, name);
    connections.push(nc);
    return nc;
  }

  async function node(name: string, log = silentLog): Promise<{ nc: NatsConnection; driver: NatsDriver }> {
    const nc = await connection(name);
    const driver = await NatsDriver.open(nc, { cluster, log });
    drivers.push(driver);
    return { nc, driver };
  }

  it('another node sees a listing, its update and its removal', async () => {
    const { driver: a } = await node('a');
    const { driver: b } = await node('b');
    const room = listing({ name: uid('visible') });
    await a.persist(room, true);
    const listed = await eventually('b lists it', () => b.has(room.roomId), 10_000);
    await a.update(room, { $inc: { clients: 3 } });
    const updated = await eventually(
      'b reads 3 clients',
      async () => (await b.find({ roomId: room.roomId }))?.clients === 3,
    );
    await a.remove(room.roomId);
    const removed = await eventually('b drops it', async () => !(await b.has(room.roomId)), 10_000);
    console.log(`seen by another node after ${listed} / ${updated} / ${removed} ms (listed / updated / removed)`);
  });

  it('a lookup by roomId finds a room another node has just inserted, even ahead of the watch', async () => {
    const { driver: a } = await node('creator');
    const { driver: b } = await node('seeker');
    for (let i = 0; i < 30; i++) {
      const room = listing({ name: uid('fresh') });
      assert.ok(await a.insert(room));
      const found = await b.find({ roomId: room.roomId });
      assert.equal(found?.roomId, room.roomId, `lookup ${i} missed the room a created a moment ago`);
    }
  });

  it('queries come from the replica: nothing is sent, and they answer while the server is paused', async () => {
    const { nc, driver } = await node('reader');
    const name = uid('offline');
    const rooms = Array.from({ length: 20 }, (_, i) => listing({ name, clients: i }));
    for (const room of rooms) await driver.persist(room, true);
    assert.ok(driver.stats.listings >= 20);

    const sentBefore = nc.stats().outMsgs;
    for (let i = 0; i < 200; i++) {
      await driver.findOne({ locked: false, name, private: false }, { clients: -1 });
      await driver.query({ name });
      await driver.has(must(rooms[i % rooms.length]).roomId);
      await driver.findByIds([must(rooms[0]).roomId]);
    }
    assert.equal(nc.stats().outMsgs, sentBefore, 'no message left this node for 800 reads');

    const server = must(must(nats).servers[0]);
    server.pause();
    try {
      const started = performance.now();
      const answer = await Promise.race([
        Promise.all([
          driver.query({ name }),
          driver.findOne({ name }, { clients: -1 }),
          driver.has(must(rooms[3]).roomId),
        ]),
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 1_000)),
      ]);
      assert.notEqual(answer, 'timeout', 'reads must not wait for the server');
      const [all, busiest, has] = answer as [IRoomCache[], IRoomCache | undefined, boolean];
      assert.equal(all.length, 20);
      assert.equal(busiest?.clients, 19);
      assert.equal(has, true);
      assert.ok(performance.now() - started < 100, 'answered from memory');
    } finally {
      server.resume();
    }
  });

  it('a value in the bucket that is not a listing is ignored: counted, logged once; queries keep working', async () => {
    const captured = capturingLog();
    const { nc, driver } = await node('garbage', captured.log);
    const name = uid('garbage');
    const victim = listing({ name });
    const bystander = listing({ name });
    await driver.persist(victim, true);
    await driver.persist(bystander, true);
    const garbageBefore = driver.stats.garbage;

    const kv = await new Kvm(nc).open(driver.bucketName);
    await kv.put('not-a-listing', 'this is { not JSON');
    await kv.put('no-fields', JSON.stringify({ hello: 'world' }));
    await kv.put('wrong-key', JSON.stringify({ ...bystander, roomId: 'someone-else' }));
    await kv.put(listingKeyOf(victim.roomId), new Uint8Array([0xff, 0xfe, 0x00]));

    await eventually('all four counted', () => driver.stats.garbage === garbageBefore + 4);
    const warnings = captured.lines.filter((line) => line.includes('from the rooms bucket'));
    assert.equal(warnings.length, 1, 'logged once');
    assert.equal(await driver.has(victim.roomId), false, 'a listing overwritten with garbage is gone');
    assert.deepEqual(ids(await driver.query({ name })), new Set([bystander.roomId]));
    assert.equal(await driver.has('not-a-listing'), false);
    const after = listing({ name });
    assert.equal(await driver.persist(after, true), true);
    assert.equal((await driver.findOne({ name }, { createdAt: -1 }))?.roomId, after.roomId);
    assert.equal(await driver.insert(victim), true, 'a roomId holding garbage can be listed again');
  });

  it("a node's own writes show at once, and late watch events never undo them", async () => {
    const { driver: a } = await node('own');
    const { driver: b } = await node('other');
    const name = uid('ryw');
    const rooms: IRoomCache[] = [];
    for (let round = 0; round < 30; round++) {
      const room = listing({ name });
      rooms.push(room);
      assert.equal(await a.insert(room), true);
      assert.equal(await a.has(room.roomId), true, 'listed at once');
      await a.update(room, { $inc: { clients: 1 } });
      assert.equal((await a.find({ roomId: room.roomId }))?.clients, 1, 'updated at once');
      assert.equal(await a.remove(room.roomId), true);
      assert.equal(await a.has(room.roomId), false, 'gone at once');
      assert.equal(await a.persist(room, true), true, 'the same roomId listed anew');
      assert.equal(await a.has(room.roomId), true);
      if (round % 2 === 0) assert.equal(await a.remove(room.roomId), true);
    }
    const expected = new Set(rooms.filter((_, i) => i % 2 === 1).map((r) => r.roomId));
    await eventually('b agrees', async () => setsEqual(ids(await b.query({ name })), expected));
    await new Promise((resolve) => setTimeout(resolve, 200)); // every watch event has arrived by now
    assert.deepEqual(ids(await a.query({ name })), expected);
    assert.deepEqual(ids(await b.query({ name })), expected);
  });

  it('writes to a listing this node has not seen yet go to the bucket, not by the replica', async () => {
    const { driver: a } = await node('early-a');
    const { driver: b } = await node('early-b');
    let unseen = 0;
    // Rounds until a few wrote before the replica had the listing: how often that happens depends on the machine.
    for (let round = 0; round < 200 && unseen < 3; round++) {
      const room = listing({ name: uid('early') });
      await a.persist(room, true);
      // No waiting: b's replica does not hold it yet (the watch takes longer than a microtask).
      if (!(await b.has(room.roomId))) unseen++;
      assert.equal(await b.update({ ...room }, { $inc: { clients: 2 } }), true, `update, round ${round}`);
      assert.equal(await b.insert({ ...room }), false, `insert, round ${round}`);
      assert.equal(await b.remove(room.roomId), true, `remove, round ${round}`);
      await eventually('a sees it removed', async () => !(await a.has(room.roomId)));
    }
    assert.ok(unseen > 0, 'some round wrote before the replica had the listing');
  });

  it('a node started later has every listing loaded when ready resolves', async () => {
    const { driver: writer } = await node('writer');
    const name = uid('load');
    await Promise.all(Array.from({ length: 100 }, () => writer.persist(listing({ name }), true)));
    const nc = await connection('late');
    const late = new NatsDriver(nc, { cluster, log: silentLog });
    drivers.push(late);
    assert.equal(late.stats.listings, 0, 'the constructor does no I/O');
    await late.ready;
    await late.boot(); // idempotent
    assert.equal((await late.query({ name })).length, 100);
  });

  it("a seat's update of a listing this node holds answers while the server is paused; others see it once stored", async () => {
    const { driver: a } = await node('seat-a');
    const { driver: b } = await node('seat-b');
    const room = listing({ name: uid('seat'), clients: 3 });
    await a.persist(room, true);
    await eventually('b has the listing', () => b.has(room.roomId));
    const server = must(must(nats).servers[0]);
    server.pause();
    let answer: boolean | 'timeout';
    try {
      const late = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 1_000));
      answer = await Promise.race([a.update(room, { $inc: { clients: 1 }, $set: { locked: true } }), late]);
      assert.equal((await a.findOne({ roomId: room.roomId }))?.clients, 4, 'this node reads it at once');
    } finally {
      server.resume();
    }
    assert.equal(answer, true, 'the update must not wait for the bucket');
    await eventually(
      'b reads the stored update',
      async () => (await b.findOne({ roomId: room.roomId }))?.locked === true,
    );
    assert.equal((await b.findOne({ roomId: room.roomId }))?.clients, 4);
  });

  it('shutdown waits for writes in flight, then refuses work and leaves the connection open', async () => {
    const { nc, driver } = await node('leaving');
    const { driver: other } = await node('staying');
    const room = listing({ name: uid('leaving') });
    const write = driver.persist(room, true);
    await driver.shutdown();
    assert.equal(await write, true);
    await assert.rejects(driver.query({}), /shut down/);
    // Colyseus updates listings from seat-reservation timers even after it shut the driver down.
    assert.equal(await driver.update(room, { $inc: { clients: 1 } }), false, 'a late write is refused, not thrown');
    assert.equal(await driver.remove(room.roomId), false);
    assert.equal(nc.isClosed(), false);
    await eventually('the write is listed', () => other.has(room.roomId));
  });

  it('keeps listings in rsd_<cluster>_rooms, history 1', async () => {
    const { nc, driver } = await node('bucket');
    assert.equal(driver.bucketName, `rsd_${cluster}_rooms`);
    const status = await (await new Kvm(nc).open(driver.bucketName)).status();
    assert.equal(status.history, 1);
    assert.throws(() => new NatsDriver(nc, { cluster: 'a.b' }), /invalid cluster name/);
  });
});

function setsEqual(x: Set<string>, y: Set<string>): boolean {
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** Replicated buckets on nats-server 2.9 need CasBucket's compare-and-set workaround (nats-server issue 4320). */
describe('NatsDriver: replicated bucket on a 3-server cluster', () => {
  let nats: NatsCluster | undefined;
  const connections: NatsConnection[] = [];
  const drivers: NatsDriver[] = [];

  before(async () => {
    nats = await startNatsCluster({ size: 3 });
  });
  after(async () => {
    await Promise.allSettled(drivers.map((d) => d.shutdown()));
    await Promise.allSettled(connections.map((nc) => nc.close()));
    await nats?.close();
  });

  it('concurrent $inc from nodes on different servers all count, and insert races have one winner', async () => {
    const cluster = randomCluster();
    const servers = must(nats).servers;
    const open = async (i: number) => {
      const nc = await connectNats([must(servers[i]).url], `server-${i}`);
      connections.push(nc);
      const driver = await NatsDriver.open(nc, { cluster, replicas: 3, log: silentLog });
      drivers.push(driver);
      return driver;
    };
    const nodes = [await open(0), await open(1), await open(2)];
    const room = listing({ name: uid('r3') });
    assert.equal(await must(nodes[0]).insert(room), true);
    await eventually('every node lists it', async () =>
      (await Promise.all(nodes.map((n) => n.has(room.roomId)))).every(Boolean),
    );
    const copies = await Promise.all(nodes.map(async (n) => must(await n.find({ roomId: room.roomId }))));
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => must(nodes[i % 3]).update(must(copies[i % 3]), { $inc: { clients: 1 } })),
    );
    for (const n of nodes) {
      await eventually(
        'every node reads 60',
        async () => (await n.find({ roomId: room.roomId }))?.clients === 60,
        3_000,
      );
    }

    const contested = listing({ name: uid('r3-race') });
    const wins = await Promise.all(nodes.map((n, i) => n.insert({ ...contested, processId: `p${i}` })));
    assert.equal(wins.filter(Boolean).length, 1, `${wins}`);
  });
});
