// Bad requests to the twin get a clear JSON error with the status Resident's API gives them, lose nothing, and the
// instance keeps serving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Profile } from '@resident/shared/game';
import { GuestTokens } from '../../../src/game/auth/guest-tokens.ts';
import { call, type Reply, skip, startTwins, type Twins } from './twins.ts';

describe('stateless twin: bad input', { skip }, () => {
  let twins: Twins;
  let base: string;
  let token: string;
  const errorOf = (reply: Reply) => ({ status: reply.status, code: (reply.body as { code?: string }).code });

  before(async () => {
    twins = await startTwins(1);
    base = twins.apis[0]!.url;
    token = twins.tokens.issue('bad-input', 'Bob').token;
    await call(base, 'POST', '/api/enter', { token });
  });
  after(() => twins?.close());

  test('a body that is not JSON: 400 bad_json', async () => {
    const reply = await call(base, 'POST', '/api/grant', { token, body: '{"xp": 1,' });
    assert.deepEqual(errorOf(reply), { status: 400, code: 'bad_json' });
    assert.match((reply.body as { error: string }).error, /not valid JSON/);
    const empty = await call(base, 'POST', '/api/games', { token, body: '' });
    assert.deepEqual(errorOf(empty), { status: 400, code: 'bad_json' });
  });

  test('wrong types and missing fields: 400 naming each field', async () => {
    const reply = await call(base, 'POST', '/api/grant', { token, body: { xp: '5' } });
    assert.deepEqual(errorOf(reply), { status: 400, code: 'bad_request' });
    assert.match(
      (reply.body as { error: string }).error,
      /^body\.xp: .*expected number.*; body\.eats: .*expected number/,
    );
    const array = await call(base, 'POST', '/api/games', { token, body: [1, 2, 3] });
    assert.deepEqual(errorOf(array), { status: 400, code: 'bad_request' });
    const fraction = await call(base, 'POST', '/api/grant', { token, body: { xp: 1.5, eats: 0 } });
    assert.deepEqual(errorOf(fraction), { status: 400, code: 'bad_request' });
  });

  test('values out of Player’s bounds: 400', async () => {
    for (const body of [
      { xp: 1_000_001, eats: 0 },
      { xp: -1, eats: 0 },
      { xp: 0, eats: 100_001 },
    ]) {
      assert.deepEqual(errorOf(await call(base, 'POST', '/api/grant', { token, body })), {
        status: 400,
        code: 'bad_request',
      });
    }
    const games = await call(base, 'POST', '/api/games', { token, body: { mass: 1_000_001, eats: 0, xp: 0 } });
    assert.match((games.body as { error: string }).error, /body\.mass: Too big/);
  });

  test('an oversized body: 413, whether its length is declared or not', async () => {
    const big = JSON.stringify({ xp: 1, eats: 1, pad: 'x'.repeat(5000) });
    const reply = await call(base, 'POST', '/api/grant', { token, body: big });
    assert.deepEqual(reply, { status: 413, body: { error: 'request body over 4096 bytes', code: 'too_large' } });
    const chunked = await fetch(`${base}/api/grant`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
  });

  test('a body that is not JSON by its type: 415', async () => {
    const reply = await call(base, 'POST', '/api/grant', {
      token,
      body: 'xp=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.deepEqual(errorOf(reply), { status: 415, code: 'unsupported_media_type' });
  });

  test('a player who never entered: 404 on every operation', async () => {
    const stranger = twins.tokens.issue('never-entered', 'Ghost').token;
    for (const [method, path, body] of [
      ['GET', '/api/profile', undefined],
      ['POST', '/api/grant', { xp: 1, eats: 1 }],
      ['POST', '/api/games', { mass: 1, eats: 1, xp: 1 }],
    ] as const) {
      const reply = await call(base, method, path, { token: stranger, body });
      assert.deepEqual(reply, {
        status: 404,
        body: { error: 'no player never-entered: enter first', code: 'unknown_player' },
      });
    }
  });

  test('a missing, forged, foreign or expired token: 401 saying which', async () => {
    const forged = `${token.split('.')[0]}.${'A'.repeat(43)}`;
    const foreign = new GuestTokens('another-secret-another-secret-12345').issue('bad-input', 'Bob').token;
    const expired = twins.tokens.issue('bad-input', 'Bob', Date.now() - 8 * 24 * 3600_000).token;
    const cases: [string | undefined, string][] = [
      [undefined, 'missing_token'],
      [forged, 'bad_token'],
      [foreign, 'bad_token'],
      ['not-a-token', 'bad_token'],
      [expired, 'expired_token'],
    ];
    for (const [bad, code] of cases) {
      for (const [method, path] of [
        ['GET', '/api/profile'],
        ['POST', '/api/enter'],
        ['POST', '/api/grant'],
      ]) {
        const reply = await call(base, method!, path!, {
          token: bad,
          body: path === '/api/grant' ? { xp: 1, eats: 1 } : undefined,
        });
        assert.deepEqual(errorOf(reply), { status: 401, code }, `${method} ${path} with ${code}`);
      }
    }
    const basic = await call(base, 'GET', '/api/profile', { headers: { authorization: `Basic ${token}` } });
    assert.deepEqual(errorOf(basic), { status: 401, code: 'missing_token' });
  });

  test('an unknown route: 404 not_found', async () => {
    assert.deepEqual(errorOf(await call(base, 'GET', '/api/nothing')), { status: 404, code: 'not_found' });
  });

  test('after all of that nothing was granted, and the instance still serves', async () => {
    const profile = await call(base, 'GET', '/api/profile', { token });
    assert.equal(profile.status, 200);
    assert.deepEqual(
      [(profile.body as Profile).xp, (profile.body as Profile).totalEats, (profile.body as Profile).gamesPlayed],
      [0, 0, 0],
    );
    assert.equal((await call(base, 'POST', '/api/grant', { token, body: { xp: 3, eats: 1 } })).status, 204);
  });
});
