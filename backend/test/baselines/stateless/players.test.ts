// The twin's player operations over HTTP, two instances on one real PostgreSQL and Redis: the same semantics as
// Resident's Player (enter creates, grants add up exactly, recordGame keeps the best), and cache-aside reads that
// follow a write acknowledged by the other instance.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Profile } from '@resident/shared/game';
import { levelFor } from '@resident/shared/game';
import { connectDb } from '../../../baselines/stateless/index.ts';
import { colorFor } from '../../../src/game/objects/player.ts';
import { call, inspectRedis, skip, startTwins, type Twins } from './twins.ts';

describe('stateless twin: players', { skip }, () => {
  let twins: Twins;
  let a: string;
  let b: string;
  const token = (id: string, name = 'Alice') => twins.tokens.issue(id, name).token;

  before(async () => {
    twins = await startTwins(2);
    [a, b] = twins.apis.map((api) => api.url) as [string, string];
  });
  after(() => twins?.close());

  test('enter creates the player with Player’s colour; profile reads it back on either instance', async () => {
    const t = token('p-enter');
    assert.deepEqual(await call(a, 'GET', '/api/profile', { token: t }), {
      status: 404,
      body: { error: 'no player p-enter: enter first', code: 'unknown_player' },
    });
    const entered = await call(a, 'POST', '/api/enter', { token: t });
    const expected: Profile = {
      id: 'p-enter',
      name: 'Alice',
      color: colorFor('p-enter'),
      xp: 0,
      gamesPlayed: 0,
      bestMass: 0,
      totalEats: 0,
      level: 1,
      node: 'twin1',
    };
    assert.deepEqual(entered, { status: 200, body: expected });
    assert.deepEqual(await call(b, 'GET', '/api/profile', { token: t }), {
      status: 200,
      body: { ...expected, node: 'twin2' },
    });
  });

  test('a later enter under a new name renames the player and keeps its stats', async () => {
    await call(a, 'POST', '/api/enter', { token: token('p-rename', 'Old') });
    await call(a, 'POST', '/api/grant', { token: token('p-rename', 'Old'), body: { xp: 30, eats: 3 } });
    await call(b, 'GET', '/api/profile', { token: token('p-rename', 'Old') }); // cached under the old name
    const renamed = await call(b, 'POST', '/api/enter', { token: token('p-rename', 'New') });
    assert.equal(renamed.status, 200);
    assert.deepEqual(pick(renamed.body, 'name', 'xp', 'totalEats'), { name: 'New', xp: 30, totalEats: 3 });
    const read = await call(a, 'GET', '/api/profile', { token: token('p-rename', 'New') });
    assert.equal((read.body as Profile).name, 'New');
  });

  test('concurrent first enters of one player on two instances all answer with the one player', async () => {
    const t = token('p-racing', 'Racer');
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(i % 2 ? a : b, 'POST', '/api/enter', { token: t })),
    );
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
    const profiles = replies.map((r) => pick(r.body, 'id', 'name', 'color', 'xp'));
    for (const p of profiles)
      assert.deepEqual(p, { id: 'p-racing', name: 'Racer', color: colorFor('p-racing'), xp: 0 });
  });

  test('200 concurrent grants from two instances add up exactly', async () => {
    const t = token('p-grants');
    await call(a, 'POST', '/api/enter', { token: t });
    const grants = Array.from({ length: 200 }, (_, i) =>
      call(i % 2 ? a : b, 'POST', '/api/grant', { token: t, body: { xp: 7, eats: 1 } }),
    );
    const replies = await Promise.all(grants);
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([204]));
    const profile = (await call(a, 'GET', '/api/profile', { token: t })).body as Profile;
    assert.deepEqual(pick(profile, 'xp', 'totalEats', 'level'), { xp: 1400, totalEats: 200, level: levelFor(1400) });
  });

  test('recordGame adds the XP and eats, counts the game and keeps the best (rounded) mass', async () => {
    const t = token('p-games');
    await call(a, 'POST', '/api/enter', { token: t });
    const first = await call(a, 'POST', '/api/games', { token: t, body: { mass: 120.5, eats: 4, xp: 50 } });
    assert.deepEqual(pick(first.body, 'xp', 'totalEats', 'gamesPlayed', 'bestMass'), {
      xp: 50,
      totalEats: 4,
      gamesPlayed: 1,
      bestMass: 121,
    });
    const second = await call(b, 'POST', '/api/games', { token: t, body: { mass: 80, eats: 1, xp: 10 } });
    assert.deepEqual(pick(second.body, 'xp', 'totalEats', 'gamesPlayed', 'bestMass', 'node'), {
      xp: 60,
      totalEats: 5,
      gamesPlayed: 2,
      bestMass: 121,
      node: 'twin2',
    });
  });

  test('profile reads come from the cache, and a write on the other instance invalidates it', async () => {
    const t = token('p-cache');
    await call(a, 'POST', '/api/enter', { token: t });
    const redis = await inspectRedis(twins.redisUrl);
    const sql = connectDb({ url: twins.pg.url, max: 1 });
    try {
      await call(a, 'GET', '/api/profile', { token: t });
      assert.ok(await redis.get('profile:p-cache'), 'a read fills the cache');
      const ttl = await redis.ttl('profile:p-cache');
      assert.ok(ttl > 0 && ttl <= 60, `the cached copy expires (ttl ${ttl})`);
      // Behind the twin's back: a cached read does not see it, so the read did come from Redis.
      await sql`UPDATE players SET games_played = 99 WHERE id = 'p-cache'`;
      assert.equal(((await call(a, 'GET', '/api/profile', { token: t })).body as Profile).gamesPlayed, 0);
      assert.equal((await call(b, 'POST', '/api/grant', { token: t, body: { xp: 5, eats: 0 } })).status, 204);
      assert.equal(await redis.get('profile:p-cache'), null, 'the grant deleted the cached copy');
      const fresh = (await call(a, 'GET', '/api/profile', { token: t })).body as Profile;
      assert.deepEqual(pick(fresh, 'xp', 'gamesPlayed'), { xp: 5, gamesPlayed: 99 });
      await call(a, 'GET', '/api/profile', { token: t });
      await call(b, 'POST', '/api/games', { token: t, body: { mass: 10, eats: 0, xp: 1 } });
      assert.equal(((await call(a, 'GET', '/api/profile', { token: t })).body as Profile).gamesPlayed, 100);
    } finally {
      await redis.close();
      await sql.end();
    }
  });

  test('a write is in PostgreSQL once it is answered', async () => {
    const t = token('p-durable');
    await call(a, 'POST', '/api/enter', { token: t });
    await call(b, 'POST', '/api/grant', { token: t, body: { xp: 11, eats: 2 } });
    const sql = connectDb({ url: twins.pg.url, max: 1 });
    try {
      const [row] = await sql`SELECT xp, total_eats FROM players WHERE id = 'p-durable'`;
      assert.deepEqual({ ...row }, { xp: 11, total_eats: 2 });
      const [setting] = await sql`SHOW synchronous_commit`;
      assert.equal(setting?.synchronous_commit, 'on');
    } finally {
      await sql.end();
    }
  });
});

function pick(value: unknown, ...keys: string[]): Record<string, unknown> {
  const record = value as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}
