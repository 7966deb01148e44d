import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS } from '@resident/shared/game';
import { ClientGate } from '../../src/game/arena/client-gate.ts';

test('inputs over the rate are dropped; far over it for a second is a flood', () => {
  const gate = new ClientGate(0);
  const verdicts = Array.from({ length: LIMITS.inputBurst + LIMITS.floodDrops + 1 }, () => gate.admitInput(0));
  assert.equal(verdicts.filter((v) => v === 'ok').length, LIMITS.inputBurst);
  assert.equal(verdicts.filter((v) => v === 'rate_limited').length, LIMITS.floodDrops);
  assert.equal(verdicts.at(-1), 'flood');
  assert.equal(new ClientGate(0).admitInput(1000), 'ok');
});

test('one input per tick, two while catching up after a stall', () => {
  const gate = new ClientGate(0);
  for (let seq = 1; seq <= 5; seq++) gate.push({ seq, dx: 1, dy: 0 });
  assert.deepEqual(
    gate.take().map((i) => i.seq),
    [1, 2],
  );
  assert.deepEqual(
    gate.take().map((i) => i.seq),
    [3, 4],
  );
  assert.deepEqual(
    gate.take().map((i) => i.seq),
    [5],
  );
  assert.deepEqual(gate.take(), []);
});

test('strikes count within a window, so an honest client is not kicked for old mistakes', () => {
  const gate = new ClientGate(0);
  for (let i = 0; i < LIMITS.strikes; i++) assert.equal(gate.strike(0), false);
  assert.equal(gate.strike(LIMITS.strikeWindowMs + 1), false, 'the old strikes have expired');
  const busy = new ClientGate(0);
  for (let i = 0; i < LIMITS.strikes; i++) busy.strike(0);
  assert.equal(busy.strike(1), true);
});

test('profile and leaderboard requests are limited', () => {
  const gate = new ClientGate(0);
  const answers = Array.from({ length: 10 }, () => gate.takeRequest(0));
  assert.equal(answers.filter(Boolean).length, 5);
  assert.equal(gate.takeRequest(1000), true);
});
