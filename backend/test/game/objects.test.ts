// Player and Leaderboard objects through a real (embedded) object runtime.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CHECKPOINT_LIMITS, RoomCheckpoint } from '../../src/colyseus/rooms/room-checkpoint.ts';
import { GAME_CLASSES, LeaderboardShard, Player, readTop, submitScore } from '../../src/game/index.ts';
import { SHARDS, shardFor, TOP_N } from '../../src/game/objects/leaderboard.ts';
import { ErrorCode, ObjectRuntime } from '../../src/objects/index.ts';
import { quietLog, rejection } from '../../testing/support.ts';

let rt: ObjectRuntime;
before(async () => {
  rt = await ObjectRuntime.start({ classes: [...GAME_CLASSES, RoomCheckpoint], log: quietLog() });
});
after(() => rt.stop());

test('a player accumulates XP and eats, levels up, and records games with its best mass', async () => {
  const p = rt.get(Player, 'p-xp');
  await p.enter('Ann');
  await p.grant(60, 3);
  await p.grant(50, 2);
  for (const [xp, eats] of [
    [Number.NaN, -5],
    [1e308, 0],
  ] as const) {
    const err = await rejection(p.grant(xp, eats)); // garbage from a buggy caller changes nothing
    assert.equal(err.code, ErrorCode.BadArguments);
  }
  const after1 = await p.recordGame({ mass: 42.6, eats: 1, xp: 0 });
  assert.equal(after1.xp, 110);
  assert.equal(after1.level, 2);
  assert.equal(after1.totalEats, 6);
  assert.equal(after1.gamesPlayed, 1);
  assert.equal(after1.bestMass, 43);
  const after2 = await p.recordGame({ mass: 20, eats: 0, xp: 0 });
  assert.equal(after2.bestMass, 43, 'best, not last');
  assert.equal(after2.gamesPlayed, 2);
  assert.equal((await p.enter('Ann B')).name, 'Ann B');
});

test('the leaderboard keeps the top 100 across its shards, one entry per player, best score only', async () => {
  for (let i = 0; i < 150; i++) await submitScore(rt, { id: `lb-${i}`, name: `P${i}`, bestMass: 1000 + i });
  assert.equal(await submitScore(rt, { id: 'lb-149', name: 'P149', bestMass: 5 }), false, 'a lower score is ignored');
  await submitScore(rt, { id: 'lb-0', name: 'P0', bestMass: 5000 });
  const top = await readTop(rt);
  assert.equal(top.length, TOP_N);
  assert.deepEqual(top[0], { id: 'lb-0', name: 'P0', bestMass: 5000 });
  assert.equal(new Set(top.map((e) => e.id)).size, TOP_N, 'no duplicates');
  assert.ok(
    top.every((e, i) => i === 0 || top[i - 1]!.bestMass >= e.bestMass),
    'sorted',
  );
  const used = new Set(Array.from({ length: 150 }, (_, i) => shardFor(`lb-${i}`)));
  assert.ok(used.size > SHARDS / 2, `writes spread over ${used.size} of ${SHARDS} shards`);
  const one = await rt.get(LeaderboardShard, shardFor('lb-0')).top();
  assert.ok(one.length <= TOP_N);
});

test('a call on the same node is checked as a call from another: an oversized checkpoint is refused', async () => {
  const snapshot = {
    roomName: 'arena',
    roomId: 'big',
    options: {},
    state: new Uint8Array(CHECKPOINT_LIMITS.stateBytes + 1),
    cache: undefined,
    clients: [],
    takenAt: Date.now(),
  };
  const cp = rt.get(RoomCheckpoint, 'big');
  const err = await rejection(cp.save(snapshot));
  assert.equal(err.code, ErrorCode.BadArguments);
  assert.match(err.message, /RoomCheckpoint\.save refused its arguments: args\[0\]\.state: state over 1048576 bytes/);
  assert.equal(await cp.load(), null);
  await cp.save({ ...snapshot, state: new Uint8Array(CHECKPOINT_LIMITS.stateBytes) });
  assert.equal((await cp.load())?.state?.byteLength, CHECKPOINT_LIMITS.stateBytes);
});
