// The arena's spatial grid: what near() finds, and that its cost is bounded for any square, even one from
// restored or corrupted state (a huge or non-finite size would otherwise walk an endless range of cells).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Grid } from '../../src/game/arena/grid.ts';

function grid() {
  const g = new Grid<{ x: number; y: number; id: string }>(100);
  for (const [id, x, y] of [
    ['a', 50, 50],
    ['b', 450, 50],
    ['c', 2050, 3050],
  ] as const)
    g.insert({ id, x, y });
  return g;
}

const ids = (items: Iterable<{ id: string }>) => [...items].map((i) => i.id).sort();

test('near() yields the items of the cells the square overlaps', () => {
  const g = grid();
  assert.deepEqual(ids(g.near(60, 60, 20)), ['a']);
  assert.deepEqual(ids(g.near(250, 50, 250)), ['a', 'b']);
  assert.deepEqual(ids(g.near(2000, 3000, 100)), ['c']);
});

test('near() with a huge, infinite or NaN square returns at once', () => {
  const g = grid();
  assert.deepEqual(ids(g.near(0, 0, 1e308)), ['a', 'b', 'c']);
  assert.deepEqual(ids(g.near(0, 0, Number.POSITIVE_INFINITY)), ['a', 'b', 'c']);
  assert.deepEqual(ids(g.near(Number.NaN, 0, 10)), []);
  assert.deepEqual(ids(g.near(0, 0, Number.NaN)), []);
  assert.deepEqual(ids(g.near(1e308, -1e308, 1e6)), []);
});
