// The backend's cost per user: slopes of the nodes' total RSS (bytes) and CPU (% of one core) over the users held,
// each named for the users the run had: idle (no inputs), playing (inputs), or a blend. A play run's memory slope is
// not the cost of an idle user, so it is not called one. The generator's bytes per bot use the same slope.

import { type Figure, round } from '@resident/shared/bench';
import type { NodeSample } from '../metrics/scrape.ts';
import { type Aggregate, slope } from '../metrics/timeline.ts';
import type { Scenario } from '../scenarios/scenario.ts';

/** Fewer users than this between the smallest and largest point: no slope. */
const MIN_SPREAD_USERS = 200;
/** The nodes' idle CPU needs a span of at least this between two scrapes before the ramp. */
const MIN_IDLE_SPAN_MS = 300;

type Row = Aggregate['rows'][number];

export interface UserKind {
  /** The figure names' ending: `backend_bytes_per_<noun>`, `backend_cpu_per_1k_<noun>s`. */
  noun: 'idle_user' | 'playing_user' | 'user';
  /** The users, for the notes. */
  who: string;
}

/** Idle when no bot sends inputs, playing when every bot does, else a blend (named with its shares). */
export function userKind(scenario: Scenario | undefined): UserKind {
  if (!scenario) return { noun: 'user', who: 'users of an unknown scenario' };
  if (scenario.kind === 'objects') return { noun: 'idle_user', who: 'simulated idle users (no sockets)' };
  const bots = scenario.bots.filter((b) => b.weight > 0);
  const inputs = (b: (typeof bots)[number]) => (b.inputHz > 0 ? `inputs at ${b.inputHz} Hz` : 'no inputs');
  if (bots.every((b) => b.inputHz === 0)) return { noun: 'idle_user', who: 'idle users (no inputs)' };
  if (bots.every((b) => b.inputHz > 0))
    return { noun: 'playing_user', who: `playing users (${[...new Set(bots.map(inputs))].join(', ')})` };
  const total = bots.reduce((a, b) => a + b.weight, 0);
  const parts = bots.map((b) => `${round((100 * b.weight) / total, 1)} % ${b.profile} (${b.room}, ${inputs(b)})`);
  return { noun: 'user', who: `a blend of ${parts.join(' and ')}: neither an idle nor a playing user's cost` };
}

/** backend_bytes_per_* and backend_cpu_per_1k_*: whichever the run could measure. */
export function backendPerUser(
  agg: Aggregate,
  nodeSamples: readonly NodeSample[],
  t0: number,
  kind: UserKind,
  simulated: boolean,
): Figure[] {
  const nodes = [...new Set(nodeSamples.map((s) => s.node))];
  if (nodes.length === 0) return [];
  const users = simulated ? 'simulated users' : 'connected users';
  const idle = kind.noun === 'idle_user';
  const out: Figure[] = [];
  const bytes = slopeOverUsers(agg, preRampPoint(agg, nodeRss(nodes)), nodeRss(nodes));
  if (bytes !== undefined) {
    out.push({
      name: `backend_bytes_per_${kind.noun}`,
      value: Math.round(bytes),
      unit: simulated ? 'bytes/user, simulated (no sockets)' : 'bytes/user',
      ...(idle ? { target: '<= 2048' } : {}),
      note: `slope of the backend nodes' total RSS over ${users}, pre-ramp vs the second half of the measurement window; ${kind.who}`,
    });
  }
  const base = idleCpu(nodeSamples, nodes, t0);
  const cpu = base && slopeOverUsers(agg, [0, base.pct], nodeCpu(nodes));
  if (cpu !== undefined && base) {
    out.push({
      name: `backend_cpu_per_1k_${kind.noun}s`,
      value: round(cpu * 1000, 3),
      unit: `% of one core per 1,000 users${simulated ? ', simulated (no sockets)' : ''}`,
      ...(idle ? { target: '<= 0.1' } : {}),
      note: `slope of the backend nodes' total CPU (% of one core) over ${users}: 0 users before the ramp (${round(base.pct, 2)} % in all over ${round(base.seconds, 1)} s) vs the second half of the measurement window; ${kind.who}`,
    });
  }
  return out;
}

/** loadgen_bytes_per_bot's slope: the generator's RSS over its bots, measured as the backend's. */
export function generatorBytesPerBot(agg: Aggregate): number | undefined {
  const rss = (r: Row) => (r.genRssBytes > 0 ? r.genRssBytes : undefined);
  return slopeOverUsers(agg, preRampPoint(agg, rss), rss);
}

/**
 * Least-squares slope of a per-second reading over the users held: a baseline point (before the ramp) and the second
 * half of the measurement window. The ramp is left out (its garbage and join work are gone by the window), and so is
 * the window's first half (RSS keeps falling for a while after the ramp as freed pages are returned).
 */
function slopeOverUsers(
  agg: Aggregate,
  baseline: [number, number] | undefined,
  value: (row: Row) => number | undefined,
): number | undefined {
  const window = agg.rows.filter((r) => r.inWindow);
  const late = window.slice(Math.floor(window.length / 2)).flatMap((r) => {
    const y = value(r);
    return y === undefined ? [] : [[r.active, y] as [number, number]];
  });
  return slope(baseline ? [baseline, ...late] : late, MIN_SPREAD_USERS);
}

const nodeRss = (nodes: string[]) => (r: Row) => sumOver(nodes, (n) => r.nodes[n]?.rssBytes || undefined);
const nodeCpu = (nodes: string[]) => (r: Row) => sumOver(nodes, (n) => r.nodes[n]?.cpuPct);

/** The sum over every node, or undefined when one has no reading. */
function sumOver(nodes: string[], read: (node: string) => number | undefined): number | undefined {
  let total = 0;
  for (const n of nodes) {
    const v = read(n);
    if (v === undefined) return undefined;
    total += v;
  }
  return total;
}

/**
 * The memory baseline: the last second before 1 % of the users are up that has a reading. The very first second can
 * come before every process has reported (a worker's own ~100 MB would then count as bots).
 */
function preRampPoint(agg: Aggregate, value: (row: Row) => number | undefined): [number, number] | undefined {
  const peak = Math.max(0, ...agg.rows.map((r) => r.active));
  const rampStart = agg.rows.findIndex((r) => r.active > peak / 100);
  const before = rampStart < 0 ? agg.rows : agg.rows.slice(0, rampStart);
  const has = (r: Row) => value(r) !== undefined;
  // No reading yet when the ramp began (a short run): the earliest reading has the fewest users.
  const row = before.filter(has).at(-1) ?? agg.rows.find(has);
  return row ? [row.active, value(row)!] : undefined;
}

/**
 * The nodes' CPU at 0 users: per node, from its first scrape to its last one before the ramp starts (t0), summed.
 * From the cumulative CPU seconds, not a per-second row: a row's reading may span the ramp's first joins.
 */
export function idleCpu(
  samples: readonly NodeSample[],
  nodes: readonly string[],
  t0: number,
): { pct: number; seconds: number } | undefined {
  let pct = 0;
  let spanMs = Number.POSITIVE_INFINITY;
  for (const node of nodes) {
    const before = samples.filter((s) => s.node === node && s.at <= t0);
    const first = before[0];
    const last = before.at(-1);
    if (!first || !last || last.at - first.at < MIN_IDLE_SPAN_MS) return undefined;
    pct += (100_000 * (last.cpuSeconds - first.cpuSeconds)) / (last.at - first.at);
    spanMs = Math.min(spanMs, last.at - first.at);
  }
  return { pct, seconds: spanMs / 1000 };
}
