// The run's result: the figures in the BENCHMARKS format (shared/bench), plus the timeline and the setup the HTML
// report plots. The objects scenario is labelled "simulated (no sockets)" wherever a figure names users.

import { type BenchResult, type Figure, machineInfo, natsServerVersion, round } from '@resident/shared/bench';
import type { RunRecord } from '../coordinator/run.ts';
import type { NodeSample } from '../metrics/scrape.ts';
import { type Aggregate, aggregate, slope } from '../metrics/timeline.ts';

export const SIMULATED = 'simulated (no sockets)';
/** Fewer users than this between the smallest and largest point: no slope. */
const MIN_SPREAD_USERS = 200;

export interface Setup {
  command: string;
  scenario: { name: string; description: string; kind: string };
  users: number;
  rampMs: number;
  holdMs: number;
  warmupMs: number;
  targets: string[];
  local: number | undefined;
  workers: { id: string; where: string }[];
  versions: Record<string, string>;
}

export interface LoadgenResult extends BenchResult {
  scenario: string;
  simulated: boolean;
  partial: boolean;
  stopReason: RunRecord['stopReason'];
  setup: Setup;
  window: { startS: number; endS: number; seconds: number };
  flags: RunRecord['flags'];
  errors: Aggregate['total'] & { windowCount: number };
  latency: { window: Aggregate['window']['latency']; run: Aggregate['latency'] };
  timeline: Aggregate['rows'];
  nodes: string[];
}

export function buildResult(record: RunRecord, nodeSamples: readonly NodeSample[], setup: Setup): LoadgenResult {
  const agg = aggregate(record, nodeSamples);
  const simulated = setup.scenario.kind === 'objects';
  const nodes = [...new Set(nodeSamples.map((s) => s.node))];
  const machine = machineInfo({ nats: natsServerVersion(), ...setup.versions });
  return {
    bench: 'loadgen',
    when: new Date(record.t0).toISOString(),
    machine,
    command: setup.command,
    scenario: setup.scenario.name,
    simulated,
    partial: record.stopReason !== 'completed',
    stopReason: record.stopReason,
    figures: figures(agg, setup, simulated, nodes),
    setup,
    window: {
      startS: round((record.window.start - record.t0) / 1000, 1),
      endS: round((record.window.end - record.t0) / 1000, 1),
      seconds: agg.window.seconds,
    },
    flags: record.flags,
    errors: { ...agg.total, windowCount: agg.window.counters.errors },
    latency: { window: agg.window.latency, run: agg.latency },
    timeline: agg.rows,
    nodes,
  };
}

function figures(agg: Aggregate, setup: Setup, simulated: boolean, nodes: string[]): Figure[] {
  const users = simulated ? `users, ${SIMULATED}` : 'users';
  const held: Figure = {
    name: 'concurrent_users_held',
    value: agg.window.minActive,
    unit: users,
    target: `${setup.users} for ${Math.round((setup.holdMs - setup.warmupMs) / 1000)} s`,
    note: `fewest ${simulated ? 'simulated users with a successful touch' : 'joined bots'} during the measurement window (${agg.window.seconds} s)`,
  };
  const out: Figure[] = [
    held,
    { name: 'errors', value: agg.total.counters.errors, unit: 'errors', target: '0', note: errorNote(agg) },
  ];
  const rtt = rttFigure(agg);
  if (rtt) out.push(rtt);
  const rejoins = rejoinFigure(agg);
  if (rejoins) out.push(rejoins);
  const backend = backendBytesPerUser(agg, nodes);
  if (backend !== undefined) {
    out.push({
      name: 'backend_bytes_per_idle_user',
      value: Math.round(backend),
      unit: simulated ? `bytes/user, ${SIMULATED}` : 'bytes/user',
      note: `slope of the backend nodes' total RSS over ${simulated ? 'simulated' : 'connected'} users, pre-ramp vs the second half of the measurement window (${setup.scenario.name})`,
    });
  }
  const gen = simulated
    ? undefined // a simulated user is one status byte in the generator: no socket to measure
    : slope(
        settledPoints(agg, (r) => r.genRssBytes),
        MIN_SPREAD_USERS,
      );
  if (gen !== undefined) {
    out.push({
      name: 'loadgen_bytes_per_bot',
      value: Math.round(gen),
      unit: 'bytes/bot',
      target: '<= 3072',
      note: "slope of the generator workers' total RSS over bots, pre-ramp vs the second half of the window (full GC at both)",
    } as Figure);
  }
  return out.map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as unknown as Figure);
}

/** Input→ack where decoded bots measured it (play), else the ping RTT that was measured; the note says which. */
function rttFigure(agg: Aggregate): Figure | undefined {
  for (const name of ['ack', 'ping', 'cping', 'call'] as const) {
    // Objects touch once a minute: a short window may hold none, then the whole run speaks.
    const inWindow = agg.window.latency[name];
    const p = inWindow ?? agg.latency[name];
    if (!p) continue;
    const where = inWindow ? 'measurement window' : 'whole run (none in the window)';
    const note = `${p.label}; ${where}; p50 ${p.p50}, p95 ${p.p95}, ${p.count} samples`;
    return {
      name: 'rtt_p99_ms',
      value: p.p99,
      unit: 'ms',
      target: name === 'ack' ? '<= 100 ms' : undefined,
      note,
    } as Figure;
  }
  return undefined;
}

function backendBytesPerUser(agg: Aggregate, nodes: string[]): number | undefined {
  if (nodes.length === 0) return undefined;
  return slope(
    settledPoints(agg, (r) => {
      const rss = nodes.map((n) => r.nodes[n]?.rssBytes);
      return rss.every((v) => v !== undefined) ? rss.reduce((a, b) => a! + b!, 0)! : undefined;
    }),
    MIN_SPREAD_USERS,
  );
}

/**
 * (users, RSS) points for a memory slope: the first second (before the ramp) and the late measurement window. The ramp
 * itself is left out: its RSS is inflated by garbage (HTTP, handshakes, matchmaking) that is gone by the window.
 */
function settledPoints(
  agg: Aggregate,
  rss: (row: Aggregate['rows'][number]) => number | undefined,
): [number, number][] {
  // The second half of the window: RSS keeps falling for a while after the ramp as freed pages are returned.
  const window = agg.rows.filter((r) => r.inWindow);
  const rows = [preRamp(agg, rss), ...window.slice(Math.floor(window.length / 2))].filter((r) => r !== undefined);
  return rows.flatMap((r) => {
    const y = rss(r);
    return y === undefined || y === 0 ? [] : [[r.active, y] as [number, number]];
  });
}

/**
 * The baseline point: the last sample before 1 % of the users are up that has a reading. The very first sample can
 * come before every process has reported (a worker's own ~100 MB would then count as bots).
 */
function preRamp(agg: Aggregate, rss: (row: Aggregate['rows'][number]) => number | undefined) {
  const peak = Math.max(0, ...agg.rows.map((r) => r.active));
  const rampStart = agg.rows.findIndex((r) => r.active > peak / 100);
  const before = rampStart < 0 ? agg.rows : agg.rows.slice(0, rampStart);
  const has = (r: Aggregate['rows'][number]) => (rss(r) ?? 0) > 0;
  // No reading yet when the ramp began (a short run): the earliest reading has the fewest users.
  return before.filter(has).at(-1) ?? agg.rows.find(has);
}

/** Bots whose room's node went away and that got back into the moved room; only when that happened. */
function rejoinFigure(agg: Aggregate): Figure | undefined {
  const n = agg.total.counters.rejoins;
  if (n === 0) return undefined;
  const p = agg.latency.rejoin;
  const when = p ? `; node gone → back in the room p50 ${p.p50} ms, p99 ${p.p99} ms, max ${p.max} ms` : '';
  return {
    name: 'rejoins',
    value: n,
    unit: 'bots',
    note: `back in a room through another node after theirs went away (the moved room by reconnection token, or a new one for profiles that rematch)${when}`,
  };
}

function errorNote(agg: Aggregate): string {
  const kinds = Object.entries(agg.total.errorKinds);
  if (kinds.length === 0) return 'whole run, ramp included';
  return `whole run: ${kinds.map(([k, v]) => `${k} ${v}`).join(', ')}; first: ${agg.total.errorSamples[0] ?? ''}`;
}
