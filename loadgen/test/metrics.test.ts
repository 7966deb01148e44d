// The metrics that merge across workers: histograms add up exactly; percentiles come from the merged counts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunRecord } from '../src/coordinator/run.ts';
import { Histogram } from '../src/metrics/histogram.ts';
import { COUNTERS, type CounterName, type WorkerSample } from '../src/metrics/sample.ts';
import { parseProcessMetrics } from '../src/metrics/scrape.ts';
import { aggregate, slope } from '../src/metrics/timeline.ts';

test('merged histograms give the percentiles of all samples, within 2 %', () => {
  const a = new Histogram();
  const b = new Histogram();
  for (let i = 1; i <= 900; i++) a.record(i / 10); // 0.1 … 90 ms
  for (let i = 1; i <= 100; i++) b.record(1000 + i); // 1001 … 1100 ms: the slow worker
  const merged = new Histogram();
  merged.add(a.toSparse());
  merged.add(b.take());
  assert.equal(merged.count, 1000);
  assert.equal(b.count, 0, 'take() starts over');
  const near = (v: number, want: number) => assert.ok(Math.abs(v - want) / want < 0.02, `${v} ≈ ${want}`);
  near(merged.percentile(50), 50);
  near(merged.percentile(95), 1050);
  near(merged.percentile(99), 1090);
  assert.equal(merged.max, 1100);
  // Averaging the two workers' p99s would have said ~590 ms: wrong, and why histograms are merged instead.
});

test('slope: bytes per user from (users, RSS) points; none without spread', () => {
  const points: [number, number][] = [0, 1000, 2000, 3000].map((u) => [u, 50e6 + u * 2500 + (u % 2000 ? 1e4 : -1e4)]);
  const s = slope(points, 200)!;
  assert.ok(Math.abs(s - 2500) < 20, String(s));
  assert.equal(
    slope(
      [
        [100, 1],
        [120, 2],
        [150, 3],
      ],
      200,
    ),
    undefined,
  );
});

test('Prometheus text: process CPU and RSS', () => {
  const text = '# HELP x\nprocess_cpu_seconds_total 12.5\nprocess_resident_memory_bytes 1.5e+08\nnodejs_heap 3\n';
  assert.deepEqual(parseProcessMetrics(text), { cpuSeconds: 12.5, rssBytes: 1.5e8 });
});

test('held users: a worker starved for seconds still holds its users; one that never speaks again does not', () => {
  const t0 = 1_000_000;
  const counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<CounterName, number>;
  const at = (worker: string, sec: number, active: number): WorkerSample => ({
    worker,
    seq: sec,
    at: t0 + sec * 1000 + 500,
    intervalMs: 1000,
    target: 100,
    active,
    joining: 0,
    counters,
    errorKinds: {},
    errorSamples: [],
    hist: {},
    cpuMicros: 0,
    rssBytes: 0,
    heapUsedBytes: 0,
  });
  const seconds = Array.from({ length: 12 }, (_, s) => s);
  const samples = [
    ...seconds.map((s) => at('steady', s, 100)),
    // Starved from second 2 to 9: no sample for 8 s, then it speaks again with 90 of its 100 left.
    ...seconds.filter((s) => s < 2 || s > 9).map((s) => at('starved', s, s < 2 ? 100 : 90)),
    // Gone for good after second 5.
    ...seconds.filter((s) => s <= 5).map((s) => at('gone', s, 100)),
  ];
  const record: RunRecord = {
    runId: 'r',
    t0,
    window: { start: t0 + 1000, end: t0 + 12_000 },
    plans: [],
    workers: [],
    samples,
    flags: [],
    endedAt: t0 + 12_000,
    stopReason: 'completed',
  };
  const rows = aggregate(record, []).rows;
  assert.equal(rows[5]!.active, 300, 'the starved worker counts through its gap');
  assert.equal(rows[9]!.active, 200, "the gone worker's users drop out once its last sample is stale");
  assert.equal(rows[10]!.active, 190, 'the starved worker says what it still holds when it speaks again');
  assert.equal(aggregate(record, []).window.minActive, 190);
});
