// The scaling curve's outputs: figures in the BENCHMARKS format (scale.json, --json), the page (scale.html) and the
// picture (scale.svg): users held within the bound against node count, with the ideal linear line from 1 node.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchResult, type Figure, machineInfo, natsServerVersion, report, round } from '@resident/shared/bench';
import { renderScale, type ScaleChart } from '../report/html.ts';
import { renderSvg } from '../report/svg.ts';
import type { ScaleOptions } from './args.ts';
import type { CountResult, Step } from './capacity.ts';

/** Box CPU (all cores) at or above this while holding capacity: the box, not the quotas, is the limit. */
const SATURATED_PCT = 90;
/** "Scales" means holding at least this share of linear (the issue's 3.6x for 4 nodes). */
const LINEAR_SHARE = 0.9;

export interface ScaleResult extends BenchResult {
  design: string[];
  machines: ScaleOptions['machines'];
  boundMs: number;
  /** The first node count whose capacity step found the box saturated; undefined if none did. */
  saturatesAt: number | undefined;
  curve: CurveRow[];
  steps: StepRow[];
  charts: ScaleChart[];
}

interface CurveRow {
  nodes: number;
  capacity: number;
  ideal: number;
  ratio: number | undefined;
  firstFail: number | undefined;
  boxCpuPct: number | undefined;
  psiSomePct: number | undefined;
  nodesCpuPct: number | undefined;
  genCpuPct: number | undefined;
  throttledPct: number | undefined;
}

type StepRow = Omit<Step, 'result' | 'box'> & { nodes: number; box: Step['box']; out: string };

export function designNotes(opts: ScaleOptions): string[] {
  const m = opts.machines;
  const machine = m
    ? `Each node is its own machine: ${m.cpu === undefined ? 'no CPU quota' : `a CPU quota of ${m.cpu} core (its own cgroup; the node boots unthrottled, the quota applies once it is ready)`}, ${m.fds === undefined ? 'open files inherited' : `${m.fds} open files (prlimit)`}. NATS and the generator run outside the quotas.`
    : 'No quotas: every node shares the whole box, so the curve shows cost per user, not growing capacity.';
  const rooms =
    opts.arenaSize === undefined
      ? "the game's own arena size"
      : `arena rooms of ${opts.arenaSize} players (--arena-size)`;
  return [
    machine,
    `Scenario from the run flags (play unless --scenario): ${rooms}, so at a few dozen users per node every node holds rooms of its own; one 50-player room would sit on one node whatever the node count.`,
    `Capacity per node count: the most users a step held with 0 errors (the whole step, ramp included), every user joined through the window, and rtt_p99 ≤ ${opts.boundMs} ms. Each step is a whole run (ramp at ${opts.joinRate} joins/s per node, then the hold) on a cluster started fresh for that count.`,
    `Search: the first count starts at ${opts.startPerNode} users per node and grows ×1.5 while steps pass; later counts start at 95 % of linear from the last capacity and step by ${round(2 * opts.resolution * 100)} %; once a step fails (a failing first step shrinks instead), bisect between the best pass and the lowest fail until they are within ${round(opts.resolution * 100)} % (at most ${opts.maxSteps} steps a count).`,
    `The box saturates where, at a count's capacity step, the box's CPU over all cores is ≥ ${SATURATED_PCT} % busy: then the nodes' quotas plus the generator and NATS want more than the box has.`,
  ];
}

export function writeScale(
  counts: CountResult[],
  opts: ScaleOptions,
  out: string,
  command: string,
  startedAt: Date,
): ScaleResult {
  const curve = curveRows(counts);
  const saturatesAt = curve.find((r) => (r.boxCpuPct ?? 0) >= SATURATED_PCT)?.nodes;
  const charts = scaleCharts(curve);
  const result: ScaleResult = {
    bench: 'loadgen-scale',
    when: startedAt.toISOString(),
    machine: machineInfo({ nats: natsServerVersion(), ...(counts[0]?.steps[0]?.result.setup.versions ?? {}) }),
    command,
    figures: figures(curve, opts.boundMs, saturatesAt),
    design: designNotes(opts),
    machines: opts.machines,
    boundMs: opts.boundMs,
    saturatesAt,
    curve,
    steps: counts.flatMap((c) => c.steps.map((s) => stepRow(c.nodes, s, out))),
    charts,
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'scale.json'), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(join(out, 'scale.svg'), renderSvg(svgChart(curve, opts, saturatesAt)));
  writeFileSync(join(out, 'scale.html'), renderScale(title(opts), charts, stepTable(result.steps), result.design));
  report(result, opts.json);
  return result;
}

function curveRows(counts: CountResult[]): CurveRow[] {
  const base = counts.find((c) => c.nodes === 1) ?? counts[0];
  const perNode = base && base.capacity > 0 ? base.capacity / base.nodes : undefined;
  return counts.map((c) => {
    const box = c.best?.box;
    const throttled = box?.throttledPct.filter((v): v is number => v !== undefined) ?? [];
    return {
      nodes: c.nodes,
      capacity: c.capacity,
      ideal: perNode === undefined ? 0 : Math.round(perNode * c.nodes),
      ratio: perNode === undefined || c === base ? undefined : round(c.capacity / base!.capacity, 2),
      firstFail: c.firstFail,
      boxCpuPct: box?.cpuPct,
      psiSomePct: box?.psiSomePct,
      nodesCpuPct: c.best?.nodesCpuPct,
      genCpuPct: c.best?.genCpuPct,
      throttledPct: throttled.length ? round(throttled.reduce((a, b) => a + b, 0) / throttled.length, 1) : undefined,
    };
  });
}

function figures(curve: CurveRow[], boundMs: number, saturatesAt: number | undefined): Figure[] {
  const base = curve.find((r) => r.ratio === undefined);
  return curve.map((r) => {
    const fig: Figure = {
      name: `capacity_users_${r.nodes}_nodes`,
      value: r.capacity,
      unit: 'users',
      note:
        `held with 0 errors and rtt p99 <= ${boundMs} ms; lowest failing step ${r.firstFail ?? 'none (ceiling reached)'}; ` +
        `box CPU ${r.boxCpuPct ?? '?'} % of all cores, CPU pressure ${r.psiSomePct ?? '?'} %` +
        (saturatesAt === r.nodes ? '; the box saturates here' : ''),
    };
    if (!base || r.ratio === undefined) return fig;
    return {
      ...fig,
      baseline: { name: `capacity_users_${base.nodes}_nodes`, value: base.capacity },
      ratio: r.ratio,
      target: `>= ${round(LINEAR_SHARE * (r.nodes / base.nodes), 1)}x baseline (${LINEAR_SHARE * 100} % of linear)`,
    };
  });
}

function scaleCharts(curve: CurveRow[]): ScaleChart[] {
  const x = curve.map((r) => r.nodes);
  return [
    {
      title: 'Capacity: users held within the bound, against node count',
      x,
      xLabel: 'backend nodes',
      series: [
        { label: 'users held', values: curve.map((r) => r.capacity) },
        { label: 'ideal linear (from 1 node)', values: curve.map((r) => r.ideal), dashed: true },
      ],
    },
    {
      title: 'The box at each capacity step: CPU busy over all cores and CPU pressure (%)',
      x,
      xLabel: 'backend nodes',
      series: [
        { label: 'box CPU %', values: curve.map((r) => r.boxCpuPct ?? null) },
        { label: 'PSI some %', values: curve.map((r) => r.psiSomePct ?? null) },
        { label: 'quota throttled periods %', values: curve.map((r) => r.throttledPct ?? null) },
      ],
    },
  ];
}

function svgChart(curve: CurveRow[], opts: ScaleOptions, saturatesAt: number | undefined) {
  const quota = opts.machines?.cpu === undefined ? 'no quota' : `${opts.machines.cpu} core per node`;
  return {
    title: `Users held (0 errors, p99 ≤ ${opts.boundMs} ms) vs nodes — ${quota}`,
    x: curve.map((r) => r.nodes),
    xLabel: 'backend nodes (each its own cgroup "machine")',
    yLabel: 'users held',
    series: [
      { label: 'users held', values: curve.map((r) => r.capacity), color: '#1f77b4' },
      { label: 'ideal linear (1 node × N)', values: curve.map((r) => r.ideal), color: '#999', dashed: true },
    ],
    markers: saturatesAt === undefined ? [] : [{ x: saturatesAt, label: 'box CPU saturated' }],
  };
}

function stepRow(nodes: number, s: Step, out: string): StepRow {
  const { result: _r, ...rest } = s;
  return { nodes, ...rest, out: join(out, `nodes-${nodes}`, `users-${s.users}`) };
}

function stepTable(steps: StepRow[]): { head: string[]; rows: string[][] } {
  const v = (x: number | undefined) => (x === undefined ? '' : String(x));
  return {
    head: [
      'nodes',
      'users',
      'result',
      'held',
      'errors',
      'rtt p99 ms',
      'ramp s',
      'box CPU %',
      'PSI some %',
      'nodes CPU %',
      'generator CPU %',
    ],
    rows: steps.map((s) => [
      String(s.nodes),
      String(s.users),
      s.pass ? 'pass' : `fail: ${s.why}`,
      String(s.held),
      String(s.errors),
      v(s.rttP99Ms),
      String(s.rampS),
      v(s.box?.cpuPct),
      v(s.box?.psiSomePct),
      v(s.nodesCpuPct),
      v(s.genCpuPct),
    ]),
  };
}

function title(opts: ScaleOptions): string {
  const quota = opts.machines?.cpu === undefined ? 'no CPU quota' : `${opts.machines.cpu} core per node`;
  return `loadgen scaling curve — capacity within ${opts.boundMs} ms, ${quota}`;
}
