// The metrics that merge across workers: histograms add up exactly; percentiles come from the merged counts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram } from '../src/metrics/histogram.ts';
import { parseProcessMetrics } from '../src/metrics/scrape.ts';
import { slope } from '../src/metrics/timeline.ts';

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
