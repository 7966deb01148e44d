// The run's result: the figures in the BENCHMARKS format (shared/bench), plus the timeline and the setup the HTML
// report plots. The objects scenario is labelled "simulated (no sockets)" wherever a figure names users.

import { type BenchResult, type Figure, machineInfo, natsServerVersion, round } from '@resident/shared/bench';
import type { RunRecord } from '../coordinator/run.ts';
import type { NodeSample } from '../metrics/scrape.ts';
import { type Aggregate, aggregate } from '../metrics/timeline.ts';
import { type JoinRamp, joinFigures, joinRamp } from './joins.ts';
import { backendPerUser, generatorBytesPerBot, userKind } from './per-user.ts';

export const SIMULATED = 'simulated (no sockets)';

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
  /** The seconds joins_per_s is the median of (socket runs with a join). */
  joinRamp?: JoinRamp;
}

export function buildResult(record: RunRecord, nodeSamples: readonly NodeSample[], setup: Setup): LoadgenResult {
  const agg = aggregate(record, nodeSamples);
  const simulated = setup.scenario.kind === 'objects';
  const nodes = [...new Set(nodeSamples.map((s) => s.node))];
  const machine = machineInfo({ nats: natsServerVersion(), ...setup.versions });
  const ramp = simulated ? undefined : joinRamp(agg.rows, setup.rampMs);
  return {
    bench: 'loadgen',
    when: new Date(record.t0).toISOString(),
    machine,
    command: setup.command,
    scenario: setup.scenario.name,
    simulated,
    partial: record.stopReason !== 'completed',
    stopReason: record.stopReason,
    figures: figures(agg, setup, { record, nodeSamples, ramp }),
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
    ...(ramp ? { joinRamp: ramp } : {}),
  };
}

function figures(
  agg: Aggregate,
  setup: Setup,
  run: { record: RunRecord; nodeSamples: readonly NodeSample[]; ramp: JoinRamp | undefined },
): Figure[] {
  const simulated = setup.scenario.kind === 'objects';
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
  if (!simulated) out.push(...joinFigures(agg, run.ramp, setup.users, setup.rampMs));
  const rtt = rttFigure(agg);
  if (rtt) out.push(rtt);
  const rejoins = rejoinFigure(agg);
  if (rejoins) out.push(rejoins);
  const kind = userKind(run.record.plans[0]?.scenario);
  out.push(...backendPerUser(agg, run.nodeSamples, run.record.t0, kind, simulated));
  // A simulated user is one status byte in the generator: no socket to measure.
  const gen = simulated ? undefined : generatorBytesPerBot(agg);
  if (gen !== undefined) {
    out.push({
      name: 'loadgen_bytes_per_bot',
      value: Math.round(gen),
      unit: 'bytes/bot',
      target: '<= 1024',
      note: "slope of the generator workers' total RSS over bots, pre-ramp vs the second half of the window (full GC at both)",
    });
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
