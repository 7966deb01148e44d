import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canEat,
  checkName,
  decodeInput,
  decodePong,
  encodeInput,
  encodePong,
  levelFor,
  move,
  radius,
  START_MASS,
  speed,
  WORLD_SIZE,
  xpForLevel,
} from '../game/index.ts';

test('move goes speed × dt toward the steer direction and clamps its length to 1', () => {
  const from = { x: 1000, y: 1000, mass: START_MASS };
  const to = move(from, { dx: 3, dy: 4 }, 0.05);
  const step = speed(START_MASS) * 0.05;
  assert.ok(Math.abs(Math.hypot(to.x - 1000, to.y - 1000) - step) < 1e-9);
  const slow = move(from, { dx: 0.5, dy: 0 }, 0.05);
  assert.ok(Math.abs(slow.x - 1000 - step / 2) < 1e-9, 'a shorter steer moves slower');
});

test('move keeps the whole blob inside the world', () => {
  const r = radius(START_MASS);
  assert.deepEqual(move({ x: r + 1, y: WORLD_SIZE - r - 1, mass: START_MASS }, { dx: -1, dy: 1 }, 1), {
    x: r,
    y: WORLD_SIZE - r,
  });
});

test('a blob eats another only when noticeably heavier and overlapping it', () => {
  const big = { x: 100, y: 100, mass: 40 };
  assert.equal(canEat(big, { x: 105, y: 100, mass: 30 }), true);
  assert.equal(canEat(big, { x: 105, y: 100, mass: 35 }), false, 'not 1.25× heavier');
  assert.equal(canEat(big, { x: 200, y: 100, mass: 10 }), false, 'too far');
  assert.equal(canEat({ x: 105, y: 100, mass: 10 }, big), false);
});

test('levels need 100, then 150, 200 … XP', () => {
  assert.equal(levelFor(0), 1);
  assert.equal(levelFor(99), 1);
  assert.equal(levelFor(100), 2);
  assert.equal(levelFor(249), 2);
  assert.equal(levelFor(250), 3);
});

test('levelFor agrees with adding up each level, and xpForLevel is its inverse', () => {
  let level = 1;
  let start = 0;
  for (let xp = 0; xp < 300_000; xp++) {
    if (xp === start + 100 + 50 * (level - 1)) start += 100 + 50 * (level++ - 1);
    if (levelFor(xp) !== level) assert.fail(`levelFor(${xp}) = ${levelFor(xp)}, expected ${level}`);
  }
  for (let l = 1; l < 2000; l++) {
    assert.equal(levelFor(xpForLevel(l)), l);
    assert.equal(levelFor(xpForLevel(l) - 0.5), Math.max(1, l - 1));
  }
});

test('levelFor answers at once for any number, stored or received', () => {
  for (const xp of [Number.NaN, -1, Number.NEGATIVE_INFINITY, -1e308, 0]) assert.equal(levelFor(xp), 1, String(xp));
  for (const xp of [1e308, Number.MAX_VALUE, Number.POSITIVE_INFINITY, 2 ** 53, 1e20]) {
    const level = levelFor(xp);
    assert.ok(Number.isFinite(level) && level > 1, `levelFor(${xp}) = ${level}`);
    assert.ok(xpForLevel(level) <= Math.min(xp, Number.MAX_VALUE), `level ${level} starts at or below ${xp}`);
  }
  assert.equal(levelFor(1e20), 1_999_999_999);
  assert.equal(xpForLevel(Number.NaN), 0);
  assert.equal(xpForLevel(-3), 0);
});

test('inputs and pongs round-trip through protobuf', () => {
  const input = decodeInput(encodeInput({ seq: 42, dx: 0.5, dy: -1 }));
  assert.deepEqual(input, { seq: 42, dx: 0.5, dy: -1, blob: '' });
  assert.deepEqual(decodePong(encodePong(1.5, 2)), { sent: 1.5, server: 2 });
  assert.throws(() => decodeInput(new Uint8Array([0x0a, 0xff, 0xff])));
});

test('names are trimmed and checked for length and characters', () => {
  assert.deepEqual(checkName('  Ann   Lee '), { name: 'Ann Lee' });
  assert.deepEqual(checkName('Zoë_9'), { name: 'Zoë_9' });
  for (const bad of ['a', 'x'.repeat(17), '<script>', '', 42, '-lead'])
    assert.ok('error' in checkName(bad), String(bad));
});

test('the JSON descriptor is generated from arena.proto (run node scripts/proto.mjs after editing it)', async () => {
  const { readFileSync } = await import('node:fs');
  const protobuf = (await import('protobufjs')).default;
  const src = readFileSync(new URL('../proto/arena.proto', import.meta.url), 'utf8');
  const json = JSON.parse(readFileSync(new URL('../proto/arena.json', import.meta.url), 'utf8'));
  assert.deepEqual(protobuf.parse(src, { keepCase: true }).root.toJSON(), json);
});
