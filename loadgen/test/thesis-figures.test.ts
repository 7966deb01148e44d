// bench:thesis's figures from its steps: which closed-loop step is the throughput within the bound, and which rate
// both stacks are compared at.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedRate, throughputAtBound } from '../bench/thesis/figures.ts';
import type { StackResult, Step } from '../bench/thesis/run.ts';

const step = (at: number, opsPerS: number, p99: number, extra: Partial<Step> = {}): Step => ({
  at,
  opsPerS,
  p50: p99 / 4,
  p99,
  p999: p99 * 2,
  errors: 0,
  errorSamples: [],
  saturated: false,
  appCpuMsPer1k: 0,
  infraCpuMsPer1k: 0,
  driverCpuMsPer1k: 0,
  driverLoop: { p99Ms: 0, maxMs: 0 },
  perOp: {},
  ...extra,
});
const result = (open: Step[], closed: Step[]) => ({ open, closed }) as unknown as StackResult;

test('throughput within the bound: the fastest step with p99 <= 50 ms and no errors, not the last such step', () => {
  const closed = [step(4, 1000, 5), step(16, 4000, 20), step(64, 3500, 45), step(128, 6000, 51)];
  assert.equal(throughputAtBound(result([], closed))?.at, 16);
  const erring = [step(4, 1000, 5), step(16, 4000, 20, { errors: 1 })];
  assert.equal(throughputAtBound(result([], erring))?.at, 4, 'a step with errors does not count');
  assert.equal(throughputAtBound(result([], [step(4, 10, 60)])), undefined, 'none within the bound');
});

test('the fixed rate: the highest the twin delivered >= 95 % of, unsaturated and without errors; else its lowest', () => {
  const open = [
    step(1000, 1000, 5),
    step(2000, 1960, 8),
    step(3000, 2800, 9),
    step(4000, 4000, 9, { errors: 2 }),
    step(8000, 5000, 900, { saturated: true }),
  ];
  assert.deepEqual(fixedRate(result(open, [])), { rate: 2000, kept: true });
  const none = [step(1000, 900, 5), step(2000, 1000, 900, { saturated: true })];
  assert.deepEqual(fixedRate(result(none, [])), { rate: 1000, kept: false });
});
