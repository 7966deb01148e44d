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

test('a refresh secret names the player; it is not a token, and a token is not a refresh secret', () => {
  const { token, refresh } = tokens.issue('p1', 'Ann');
  assert.equal(tokens.verifyRefresh(refresh), 'p1');
  assert.throws(
    () => tokens.verify(refresh),
    (err) => err instanceof AuthError && err.code === 'bad_token',
  );
  assert.throws(
    () => tokens.verifyRefresh(token),
    (err) => err instanceof AuthError && err.code === 'bad_token',
  );
});

test('refresh secrets expire after 30 days unless used', () => {
  const { refresh } = tokens.issue('p1', 'Ann', Date.now() - 31 * 24 * 3600_000);
  assert.throws(
    () => tokens.verifyRefresh(refresh),
    (err) => err instanceof AuthError && err.code === 'expired_token',
  );
  assert.equal(tokens.verifyRefresh(tokens.issue('p1', 'Ann', Date.now() - 29 * 24 * 3600_000).refresh), 'p1');
});

test('rotating the secret revokes every token and refresh secret issued before', () => {
  const { token, refresh } = tokens.issue('p1', 'Ann');
  const rotated = new GuestTokens('the-next-secret-after-rotation-0123456789');
  assert.throws(
    () => rotated.verify(token),
    (err) => err instanceof AuthError && err.code === 'bad_token',
  );
  assert.throws(
    () => rotated.verifyRefresh(refresh),
    (err) => err instanceof AuthError && err.code === 'bad_token',
  );
});

test('a token a node signs to call a service for the player lives only as long as asked', () => {
  const now = Date.now();
  const token = tokens.access('p1', 'Ann', 60_000, now);
  assert.deepEqual(tokens.verify(token, now + 59_999), { sub: 'p1', name: 'Ann', exp: now + 60_000 });
  assert.throws(
    () => tokens.verify(token, now + 60_001),
    (err: unknown) => (err as AuthError).code === 'expired_token',
  );
  assert.throws(
    () => tokens.verifyRefresh(token, now),
    (err: unknown) => (err as AuthError).code === 'bad_token',
  );
});
