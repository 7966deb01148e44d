// Turns the workers' one-second samples (and the nodes' scrapes) into a per-second timeline and the measurement
// window's totals. Histograms are merged, never their percentiles averaged.

import type { RunRecord } from '../coordinator/run.ts';
import { type Histogram, type Percentiles, summarize } from './histogram.ts';
import { COUNTERS, type CounterName, HISTOGRAMS, type HistogramName, histSet, type WorkerSample } from './sample.ts';
import type { NodeSample } from './scrape.ts';

/**
 * A worker's gauges count for this long after a sample. A worker that samples again later held its users through the
 * gap (its sockets' closes show in that later sample); only a worker that never speaks again drops out after this.
 */
const STALE_MS = 3000;

export interface TimelineRow {
  /** Seconds since the ramp started. */
  t: number;
  target: number;
  active: number;
  joining: number;
  /** Per second. */
  rates: Record<CounterName, number>;
  p: Partial<Record<HistogramName, { p50: number; p95: number; p99: number }>>;
  /** Generator: CPU in % of one core (all workers), memory. */
  genCpuPct: number;
  genRssBytes: number;
  nodes: Record<string, { cpuPct?: number; rssBytes: number }>;
  /** Whether this second lies in the measurement window. */
  inWindow: boolean;
}

export interface Totals {
  counters: Record<CounterName, number>;
  errorKinds: Record<string, number>;
  errorSamples: string[];
}

export interface Aggregate {
  rows: TimelineRow[];
  /** The whole run. */
  total: Totals;
  /** The measurement window only. */
  window: Totals & {
    latency: Partial<Record<HistogramName, Percentiles & { label: string }>>;
    minActive: number;
    seconds: number;
  };
  /** Whole-run latency (ramp included), for comparison. */
  latency: Partial<Record<HistogramName, Percentiles & { label: string }>>;
}

const zeroCounters = () => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<CounterName, number>;

function emptyTotals(): Totals {
  return { counters: zeroCounters(), errorKinds: {}, errorSamples: [] };
}

function addTo(t: Totals, s: WorkerSample): void {
  for (const c of COUNTERS) t.counters[c] += s.counters[c];
  for (const [k, v] of Object.entries(s.errorKinds)) t.errorKinds[k] = (t.errorKinds[k] ?? 0) + v;
  for (const e of s.errorSamples) if (t.errorSamples.length < 20) t.errorSamples.push(`${s.worker} ${e}`);
}

function latencyOf(h: Record<HistogramName, Histogram>) {
  const out: Aggregate['latency'] = {};
  for (const name of Object.keys(h) as HistogramName[]) {
    if (h[name].count > 0) out[name] = { ...summarize(h[name]), label: HISTOGRAMS[name] };
  }
  return out;
}

export function aggregate(record: RunRecord, nodes: readonly NodeSample[]): Aggregate {
  const { t0, window } = record;
  const seconds = Math.max(1, Math.ceil(((record.endedAt || Date.now()) - t0) / 1000) + 1);
  const bySecond: WorkerSample[][] = Array.from({ length: seconds }, () => []);
  const total = emptyTotals();
  const win = emptyTotals();
  const runHist = histSet();
  const winHist = histSet();
  for (const s of record.samples) {
    const sec = Math.min(seconds - 1, Math.max(0, Math.floor((s.at - t0) / 1000)));
    bySecond[sec]!.push(s);
    addTo(total, s);
    const inWindow = s.at - s.intervalMs >= window.start - 500 && s.at <= window.end + 500;
    if (inWindow) addTo(win, s);
    for (const [name, sparse] of Object.entries(s.hist) as [HistogramName, number[]][]) {
      runHist[name].add(sparse);
      if (inWindow) winHist[name].add(sparse);
    }
  }
  const rows = buildRows(bySecond, record, nodes);
  const windowRows = rows.filter((r) => r.inWindow);
  return {
    rows,
    total,
    latency: latencyOf(runHist),
    window: {
      ...win,
      latency: latencyOf(winHist),
      minActive: windowRows.length ? Math.min(...windowRows.map((r) => r.active)) : 0,
      seconds: windowRows.length,
    },
  };
}

function buildRows(bySecond: WorkerSample[][], record: RunRecord, nodes: readonly NodeSample[]): TimelineRow[] {
  const gauges = new Map<string, WorkerSample>();
  const nodeLatest = new Map<string, NodeSample>();
  const sortedNodes = [...nodes].sort((a, b) => a.at - b.at);
  const lastAt = new Map<string, number>();
  for (const s of record.samples) lastAt.set(s.worker, Math.max(s.at, lastAt.get(s.worker) ?? 0));
  let n = 0;
  return bySecond.map((samples, t) => {
    const rates = zeroCounters();
    const h = histSet();
    let cpuMicros = 0;
    for (const s of samples) {
      gauges.set(s.worker, s);
      for (const c of COUNTERS) rates[c] += s.counters[c];
      for (const [name, sparse] of Object.entries(s.hist) as [HistogramName, number[]][]) h[name].add(sparse);
      cpuMicros += s.cpuMicros;
    }
    const end = record.t0 + (t + 1) * 1000;
    while (n < sortedNodes.length && sortedNodes[n]!.at <= end) {
      nodeLatest.set(sortedNodes[n]!.node, sortedNodes[n]!);
      n++;
    }
    // A worker that has gone quiet for good (dead, or cut off) no longer holds its users; one starved of CPU for a
    // few seconds (a 56-node run on 2 cores) still does: counting it out read 398 held of ~23,000.
    const live = [...gauges.values()].filter((s) => s.at >= end - STALE_MS || (lastAt.get(s.worker) ?? 0) > end);
    const p: TimelineRow['p'] = {};
    for (const name of Object.keys(h) as HistogramName[]) {
      if (h[name].count > 0)
        p[name] = {
          p50: round(h[name].percentile(50)),
          p95: round(h[name].percentile(95)),
          p99: round(h[name].percentile(99)),
        };
    }
    return {
      t,
      target: sum(live, (s) => s.target),
      active: sum(live, (s) => s.active),
      joining: sum(live, (s) => s.joining),
      rates,
      p,
      genCpuPct: round(cpuMicros / 10_000),
      genRssBytes: sum(live, (s) => s.rssBytes),
      inWindow: end - 1000 >= record.window.start && end <= record.window.end,
      nodes: Object.fromEntries(
        [...nodeLatest.values()].map((s) => [
          s.node,
          { rssBytes: s.rssBytes, ...(s.cpuPct === undefined ? {} : { cpuPct: round(s.cpuPct) }) },
        ]),
      ),
    };
  });
}

function sum<T>(items: readonly T[], f: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += f(item);
  return total;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Least-squares slope of y over x; undefined when x hardly varies. */
export function slope(points: readonly [number, number][], minSpread: number): number | undefined {
  if (points.length < 3) return undefined;
  const mx = sum(points, (p) => p[0]) / points.length;
  const my = sum(points, (p) => p[1]) / points.length;
  let cov = 0;
  let varx = 0;
  for (const [x, y] of points) {
    cov += (x - mx) * (y - my);
    varx += (x - mx) ** 2;
  }
  const xs = points.map((p) => p[0]);
  if (Math.max(...xs) - Math.min(...xs) < minSpread || varx === 0) return undefined;
  return cov / varx;
}
