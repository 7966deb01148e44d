// The game's objects refuse forged arguments over the wire: a caller on NATS that sends any method name and any
// values (here a runtime whose stand-in classes accept everything) gets BadArguments from the receiving node, and
// the stored state does not change.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { PresenceShard } from '../../src/colyseus/presence/presence-shard.ts';
import { RoomCheckpoint, type RoomSnapshot } from '../../src/colyseus/rooms/room-checkpoint.ts';
import { LeaderboardShard, Player, readTop } from '../../src/game/index.ts';
import { SHARDS, shardFor } from '../../src/game/objects/leaderboard.ts';
import { ErrorCode, ObjectRuntime, type ResidentClass } from '../../src/objects/index.ts';
import { connectNats, internals } from '../../src/objects/internal.ts';
import { probe } from '../../testing/fixtures.ts';
import { type GameNodes, startGameNodes } from '../../testing/game-nodes.ts';
import { callByName, quietLog, rejection, waitFor } from '../../testing/support.ts';

const LoosePlayer = probe('Player', ['touch', 'profile', 'enter', 'grant', 'recordGame']);
const LooseShard = probe('LeaderboardShard', ['submit', 'top']);
const LooseCheckpoint = probe('RoomCheckpoint', ['save', 'load']);
const LoosePresence = probe('PresenceShard', ['set', 'rpush']);

let nodes: GameNodes;
const connections: NatsConnection[] = [];
const runtimes: ObjectRuntime[] = [];
/** Sends anything. */
let forger: ObjectRuntime;
/** Reads through the real classes. */
let reader: ObjectRuntime;

async function member(classes: readonly ResidentClass[]): Promise<ObjectRuntime> {
  const nc = await connectNats([nodes.natsUrl!], 'test-caller');
  connections.push(nc);
  const rt = await ObjectRuntime.start({
    classes,
    role: 'client',
    nats: { connection: nc, cluster: nodes.cluster! },
    log: quietLog(),
  });
  runtimes.push(rt);
  await waitFor(() => internals(rt).placement.settled(), 30_000, 'placement to settle');
  return rt;
}

before(async () => {
  nodes = await startGameNodes({ nodes: 2, cluster: true });
  forger = await member([LoosePlayer, LooseShard, LooseCheckpoint, LoosePresence]);
  reader = await member([Player, LeaderboardShard, RoomCheckpoint, PresenceShard]);
});
after(async () => {
  for (const rt of runtimes) await rt.stop({ drain: false });
  for (const nc of connections) await nc.close();
  await nodes?.stop();
});

/** Each call must be refused by the receiving class with BadArguments naming `Class.method`. */
async function refuseAll(cls: ResidentClass, key: string, method: string, calls: unknown[][]): Promise<void> {
  for (const args of calls) {
    const err = await rejection(callByName(forger, cls, key, method, ...args));
    const what = `${method}(${JSON.stringify(args).slice(0, 80)})`;
    assert.equal(err.code, ErrorCode.BadArguments, `${what}: ${err.message}`);
    assert.match(err.message, new RegExp(`${cls.typeName}\\.${method} refused its arguments: `), what);
  }
}

describe('Player', () => {
  const victim = 'victimPlayerId01';
  test('grant, enter, recordGame and touch refuse what no game sends; the profile is unchanged', async () => {
    await refuseAll(LoosePlayer, victim, 'grant', [
      [1e308, 0],
      [0, 1e308],
      [1_000_001, 0],
      [0, 100_001],
      [4242.5, 0],
      [-1, 0],
      [Number.NaN, 0],
      ['10', 0],
      [10],
      [10, 1, 1],
    ]);
    await refuseAll(LoosePlayer, victim, 'enter', [['x'.repeat(1000)], [''], ['<b>hi</b>'], [' Ann'], [42], []]);
    await refuseAll(LoosePlayer, victim, 'recordGame', [
      [{ mass: 1e308, eats: 0, xp: 0 }],
      [{ mass: -1, eats: 0, xp: 0 }],
      [{ mass: 10, eats: 0, xp: 1e308 }],
      [{ mass: 10 }],
      [null],
      [],
    ]);
    await refuseAll(LoosePlayer, victim, 'touch', [[1]]);
    const profile = await reader.get(Player, victim).profile();
    assert.deepEqual(
      [profile.name, profile.xp, profile.totalEats, profile.gamesPlayed, profile.bestMass],
      ['', 0, 0, 0, 0],
    );
    await callByName(forger, LoosePlayer, victim, 'grant', 10, 1);
    assert.equal((await reader.get(Player, victim).profile()).xp, 10, 'a call in range still lands');
  });
});

describe('LeaderboardShard', () => {
  test('forged entries are refused: id format, name, score range and shape, and the shard the id belongs to', async () => {
    const id = 'forgerPlayerId01';
    const home = shardFor(id);
    await refuseAll(LooseShard, home, 'submit', [
      [{ id: '../../x', name: 'Eve', bestMass: 5 }],
      [{ id: 'x'.repeat(65), name: 'Eve', bestMass: 5 }],
      [{ id, name: 'Eve', bestMass: 1e308 }],
      [{ id, name: 'Eve', bestMass: 5.5 }],
      [{ id, name: 'Eve', bestMass: -5 }],
      [{ id, name: 'E'.repeat(40), bestMass: 5 }],
      [{ id, name: '', bestMass: 5 }],
      [{ id, name: 'Eve' }],
      ['Eve'],
      [],
    ]);
    const other = String((Number(home) + 1) % SHARDS);
    await refuseAll(LooseShard, other, 'submit', [[{ id, name: 'Eve', bestMass: 5 }]]);
    assert.deepEqual(await readTop(reader), [], 'nothing reached the board');
    assert.equal(await callByName(forger, LooseShard, home, 'submit', { id, name: 'Eve', bestMass: 5 }), true);
    assert.deepEqual(await readTop(reader), [{ id, name: 'Eve', bestMass: 5 }]);
  });
});

describe('RoomCheckpoint', () => {
  const roomId = 'forgedRoom1';
  const good: RoomSnapshot = {
    roomName: 'arena',
    roomId,
    options: { private: true, code: 'ABCD' },
    state: new Uint8Array([0x80]),
    cache: null,
    clients: [{ sessionId: 's1', reconnectionToken: 't1', auth: { sub: 'p1', name: 'Ann', exp: 1 } }],
    takenAt: 1,
  };
  const deep = (depth: number): unknown => (depth === 0 ? 1 : { d: deep(depth - 1) });

  test('made-up contents are refused: shape, sizes, counts, nesting, and another room id', async () => {
    const client = good.clients[0]!;
    await refuseAll(LooseCheckpoint, roomId, 'save', [
      [{ ...good, roomId: 'someOtherRoom' }],
      [{ ...good, state: 'not bytes' }],
      [{ ...good, state: [1, 2, 3] }],
      [{ ...good, options: deep(40) }],
      [{ ...good, cache: deep(40) }],
      [{ ...good, options: { big: Array.from({ length: 60_000 }, () => 0) } }],
      [{ ...good, clients: Array.from({ length: 1001 }, (_, i) => ({ ...client, sessionId: `s${i}` })) }],
      [{ ...good, clients: [{ ...client, reconnectionToken: 'x'.repeat(1000) }] }],
      [{ ...good, clients: [{ ...client, sessionId: 7 }] }],
      [{ ...good, clients: [{ ...client, auth: deep(12) }] }],
      [{ ...good, takenAt: -1 }],
      [{ ...good, takenAt: 1e308 }],
      [{ ...good, roomName: 'n'.repeat(200) }],
      [{}],
      [null],
    ]);
    assert.equal(await reader.get(RoomCheckpoint, roomId).load(), null, 'nothing was stored');
    await callByName(forger, LooseCheckpoint, roomId, 'save', good);
    assert.deepEqual(await reader.get(RoomCheckpoint, roomId).load(), good, 'a well-formed checkpoint is kept whole');
  });
});

describe('PresenceShard', () => {
  test('commands refuse arguments of the wrong shape', async () => {
    await refuseAll(LoosePresence, 'p0', 'set', [[1, 'v'], ['k'], ['k'.repeat(2000), 'v'], ['k', { v: 1 }]]);
    await refuseAll(LoosePresence, 'p0', 'rpush', [
      ['k', 'v'],
      ['k', [1, 2]],
    ]);
    assert.equal(await reader.get(PresenceShard, 'p0').llen('k'), 0);
  });
});
