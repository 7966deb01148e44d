// bench:thesis's workload: a seed gives both stacks the same operations; the mix and the Zipf popularity hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SESSION_MIX, seededRandom, Workload, Zipf } from '../bench/thesis/workload.ts';

const take = (w: Workload, n: number) => Array.from({ length: n }, () => w.next());

test('the same seed, the same operations; another seed, others', () => {
  assert.deepEqual(take(new Workload(1000, seededRandom(7)), 500), take(new Workload(1000, seededRandom(7)), 500));
  assert.notDeepEqual(take(new Workload(1000, seededRandom(7)), 50), take(new Workload(1000, seededRandom(8)), 50));
  const r = seededRandom(1);
  for (let i = 0; i < 10_000; i++) {
    const u = r();
    assert.ok(u >= 0 && u < 1, String(u));
  }
});

test('the mix of kinds, and player 0 the busiest by about 1/H(n)', () => {
  const ops = take(new Workload(100_000, seededRandom(3)), 200_000);
  const total = Object.values(SESSION_MIX).reduce((a, b) => a + b, 0);
  const grants = ops.filter((o) => o.kind === 'grant').length / ops.length;
  assert.ok(Math.abs(grants - SESSION_MIX.grant / total) < 0.01, `grant share ${grants}`);
  const zipf = new Zipf(100_000, 1, seededRandom(4));
  const draws = Array.from({ length: 200_000 }, () => zipf.next());
  const first = draws.filter((p) => p === 0).length / draws.length;
  assert.ok(Math.abs(first - 1 / 12.09) < 0.005, `player 0 has ${first} of the draws`); // H(100000) = 12.09
});
