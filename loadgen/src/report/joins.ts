// The join figures of a socket run: joins_per_s (the median per-second join rate while the ramp runs), join_p99_ms
// (the join latency histogram, whole run) and retries (join steps the server asked to retry).

import { type Figure, round } from '@resident/shared/bench';
import { DEFAULT_RETRY } from '../bot/bot.ts';
import type { Aggregate } from '../metrics/timeline.ts';

type Row = Aggregate['rows'][number];

/** The seconds joins_per_s is the median of, and what they held. */
export interface JoinRamp {
  /** First and last second counted (seconds since the ramp started, as the timeline's `t`). */
  fromS: number;
  toS: number;
  seconds: number;
  median: number;
  min: number;
  max: number;
}

/**
 * The ramp's seconds, as the timeline counts joins (each worker's one-second sample in the second it ends in): from
 * the first second with a join (the seconds before it are the first logins and handshakes, not a rate) to the end of
 * the ramp's schedule, and on past it while bots are still owed (the previous second held fewer than its target) and
 * joins keep coming: a cluster slower than the ramp is measured at its own pace until it catches up.
 */
export function joinRamp(rows: readonly Row[], rampMs: number): JoinRamp | undefined {
  const first = rows.findIndex((r) => r.rates.joins > 0);
  if (first < 0) return undefined;
  const rampEnd = Math.ceil(rampMs / 1000);
  let last = first;
  while (last + 1 < rows.length) {
    const prev = rows[last]!;
    const next = rows[last + 1]!;
    if (next.t >= rampEnd && !(next.rates.joins > 0 && prev.active < prev.target)) break;
    last++;
  }
  const counts = rows.slice(first, last + 1).map((r) => r.rates.joins);
  return {
    fromS: rows[first]!.t,
    toS: rows[last]!.t,
    seconds: counts.length,
    median: median(counts),
    min: Math.min(...counts),
    max: Math.max(...counts),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function joinFigures(agg: Aggregate, ramp: JoinRamp | undefined, users: number, rampMs: number): Figure[] {
  const asked = rampMs > 0 ? `${round(users / (rampMs / 1000), 1)} joins/s` : 'all at once';
  const out: Figure[] = [
    {
      name: 'joins_per_s',
      value: ramp ? round(ramp.median, 1) : 0,
      unit: 'joins/s',
      target: '>= 2000 (ramp >= 25 s)',
      note: ramp
        ? `median of the per-second join counts from +${ramp.fromS} s to +${ramp.toS} s (${ramp.seconds} s: first join to the ramp's end, or later while bots were still owed; min ${ramp.min}, max ${ramp.max}); the ramp asked for ${asked}`
        : `no bot joined; the ramp asked for ${asked}`,
    },
  ];
  const p = agg.latency.join;
  if (p) {
    out.push({
      name: 'join_p99_ms',
      value: p.p99,
      unit: 'ms',
      target: '<= 1000 ms',
      note: `${p.label}; whole run; p50 ${p.p50}, p95 ${p.p95}, max ${p.max}, ${p.count} joins`,
    });
  }
  out.push(...joinCpuFigures(agg.rows, ramp));
  const { maxRetries, maxWaitMs } = DEFAULT_RETRY;
  out.push({
    name: 'retries',
    value: agg.total.counters.retries,
    unit: 'retries',
    note: `join steps the server refused with HTTP 429, or 503 with Retry-After, tried again after the wait it asked for (at most ${maxWaitMs / 1000} s, ${maxRetries} retries per join; one more refusal is an error "<step>-refused"); not errors`,
  });
  return out;
}

/**
 * CPU per join while the ramp runs: all the CPU the backend nodes (and the generator) used in the ramp's seconds,
 * over the joins of those seconds. It includes the cost of the users already held and of timers, so it is an upper
 * bound on a join's own cost; it does not depend on how busy the rest of the machine is, as a rate does.
 */
function joinCpuFigures(rows: readonly Row[], ramp: JoinRamp | undefined): Figure[] {
  if (!ramp) return [];
  const seconds = rows.filter((r) => r.t >= ramp.fromS && r.t <= ramp.toS);
  const joins = seconds.reduce((n, r) => n + r.rates.joins, 0);
  if (joins === 0) return [];
  const nodeCpu = (r: Row) => Object.values(r.nodes).reduce((n, node) => n + (node.cpuPct ?? 0), 0);
  // cpuPct is % of one core over one second: 1 % = 10 ms.
  const msPer = (pct: (r: Row) => number) => round((10 * seconds.reduce((n, r) => n + pct(r), 0)) / joins, 2);
  const note = (who: string) =>
    `${who} CPU in the ramp's ${seconds.length} s (+${ramp.fromS} s to +${ramp.toS} s) over their ${joins} joins; users already held and timers included`;
  const out: Figure[] = [];
  if (seconds.some((r) => Object.values(r.nodes).some((n) => n.cpuPct !== undefined))) {
    out.push({
      name: 'backend_cpu_ms_per_join',
      value: msPer(nodeCpu),
      unit: 'ms of one core',
      note: note("backend nodes'"),
    });
  }
  out.push({
    name: 'loadgen_cpu_ms_per_join',
    value: msPer((r) => r.genCpuPct),
    unit: 'ms of one core',
    note: note("the generator's"),
  });
  return out;
}
