// The twin's leaderboard (a Redis sorted set and a names hash) over HTTP: a player's best only, the top 100 in
// Resident's order (best first, ties by id as mergeTop orders them), and a lower score changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LeaderboardEntry } from '@resident/shared/game';
import { mergeTop, TOP_N } from '../../../src/game/objects/leaderboard.ts';
import { call, skip, startTwins, type Twins } from './twins.ts';

describe('stateless twin: leaderboard', { skip }, () => {
  let twins: Twins;
  let a: string;
  let b: string;
  const submit = (base: string, entry: LeaderboardEntry) =>
    call(base, 'POST', '/api/leaderboard', { token: twins.tokens.issue(entry.id, entry.name).token, body: entry });
  const top = async (base: string) => (await call(base, 'GET', '/api/leaderboard')).body as LeaderboardEntry[];

  before(async () => {
    twins = await startTwins(2, undefined, 0); // every read from Redis: these tests read right after writing
    [a, b] = twins.apis.map((api) => api.url) as [string, string];
  });
  after(() => twins?.close());

  test('an empty board reads as an empty list, without a token', async () => {
    assert.deepEqual(await call(a, 'GET', '/api/leaderboard'), { status: 200, body: [] });
  });

  test('only a higher score improves a best; a lower or equal one changes nothing, not even the name', async () => {
    assert.deepEqual((await submit(a, { id: 'lb-1', name: 'First', bestMass: 500 })).body, { improved: true });
    assert.deepEqual((await submit(b, { id: 'lb-1', name: 'Renamed', bestMass: 400 })).body, { improved: false });
    assert.deepEqual((await submit(b, { id: 'lb-1', name: 'Renamed', bestMass: 500 })).body, { improved: false });
    assert.deepEqual(await top(a), [{ id: 'lb-1', name: 'First', bestMass: 500 }]);
    assert.deepEqual((await submit(b, { id: 'lb-1', name: 'Better', bestMass: 501 })).body, { improved: true });
    assert.deepEqual(await top(b), [{ id: 'lb-1', name: 'Better', bestMass: 501 }]);
  });

  test('equal bests come in the order mergeTop gives them, whatever the case and punctuation of the ids', async () => {
    const tied = ['b2', 'A1', '_z', '-y', 'a3', 'B0', '9k'].map((id) => ({ id, name: `Tied ${id}`, bestMass: 77 }));
    await Promise.all(tied.map((entry, i) => submit(i % 2 ? a : b, entry)));
    const board = await top(a);
    const expected = mergeTop([[{ id: 'lb-1', name: 'Better', bestMass: 501 }, ...tied]]);
    assert.deepEqual(board, expected);
  });

  test('the board holds the top 100 of many players, best first, from either instance', async () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ id: `many-${i}`, name: `Player ${i}`, bestMass: 1000 + i }));
    await Promise.all(many.map((entry, i) => submit(i % 2 ? a : b, entry)));
    const board = await top(b);
    assert.equal(board.length, TOP_N);
    assert.deepEqual(board, mergeTop([many]));
    assert.deepEqual(await top(a), board);
  });

  test('a token submits only its own player; a bad entry is refused with what is wrong', async () => {
    const token = twins.tokens.issue('lb-own', 'Own').token;
    const other = await call(a, 'POST', '/api/leaderboard', {
      token,
      body: { id: 'lb-other', name: 'Other', bestMass: 10 },
    });
    assert.deepEqual(other, {
      status: 403,
      body: { error: 'a token submits only its own player', code: 'not_your_player' },
    });
    const bad = await call(a, 'POST', '/api/leaderboard', {
      token,
      body: { id: 'lb-own', name: 'x', bestMass: 2_000_000 },
    });
    assert.equal(bad.status, 400);
    assert.match((bad.body as { error: string }).error, /body\.name: not a valid player name; body\.bestMass: Too big/);
    assert.ok(!(await top(a)).some((e) => e.id === 'lb-other' || e.id === 'lb-own'), 'nothing was recorded');
  });
});

describe('stateless twin: the top is served from memory for a while, per instance', { skip }, () => {
  test('a read within the cache time is the cached top; another instance reads Redis', async () => {
    const twins = await startTwins(2, undefined, 60_000);
    try {
      const [a, b] = twins.apis.map((api) => api.url) as [string, string];
      assert.deepEqual((await call(a, 'GET', '/api/leaderboard')).body, [], 'cached empty');
      const entry = { id: 'cached-1', name: 'Cached', bestMass: 5 };
      const token = twins.tokens.issue(entry.id, entry.name).token;
      assert.equal((await call(b, 'POST', '/api/leaderboard', { token, body: entry })).status, 200);
      assert.deepEqual((await call(a, 'GET', '/api/leaderboard')).body, [], 'still the cached top');
      assert.deepEqual((await call(b, 'GET', '/api/leaderboard')).body, [entry], 'b had none cached');
    } finally {
      await twins.close();
    }
  });
});
