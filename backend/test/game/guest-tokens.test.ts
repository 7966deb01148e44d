import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError, GuestTokens } from '../../src/game/index.ts';

const tokens = new GuestTokens('a-secret-that-is-long-enough-0123456789');

test('a token verifies on any node with the same secret, and carries the player and name', () => {
  const { token } = tokens.issue('p1', 'Ann');
  const claims = new GuestTokens('a-secret-that-is-long-enough-0123456789').verify(token);
  assert.equal(claims.sub, 'p1');
  assert.equal(claims.name, 'Ann');
});

test('forged, tampered, malformed and expired tokens are refused with a reason', () => {
  const { token } = tokens.issue('p1', 'Ann');
  const [payload, sig] = token.split('.') as [string, string];
  const other = Buffer.from(JSON.stringify({ sub: 'p2', name: 'Eve', exp: Date.now() + 1e6 })).toString('base64url');
  const cases: [unknown, string][] = [
    [new GuestTokens('another-secret-entirely-0123456789abc').issue('p1', 'Ann').token, 'bad_token'],
    [`${other}.${sig}`, 'bad_token'],
    [`${payload}.${sig}x`, 'bad_token'],
    ['garbage', 'bad_token'],
    [`${payload}.${sig}.extra`, 'bad_token'],
    ['', 'missing_token'],
    [undefined, 'missing_token'],
    [tokens.issue('p1', 'Ann', Date.now() - 8 * 24 * 3600_000).token, 'expired_token'],
  ];
  for (const [bad, code] of cases) {
    assert.throws(
      () => tokens.verify(bad),
      (err) => err instanceof AuthError && err.code === code,
      String(bad),
    );
  }
});
