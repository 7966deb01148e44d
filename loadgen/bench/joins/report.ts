// What bench:joins prints and writes: each side's join figures as the loadgen measured them, Resident's with the
// stock Colyseus run's as their baseline, and the evidence behind them (ramps, error kinds, worker flags).
import { type BenchResult, type Figure, round, withBaseline } from '@resident/shared/bench';
import type { RunOptions } from '../../src/cli/args.ts';
import type { LoadgenResult } from '../../src/report/result.ts';

export interface Side {
  readonly label: string;
  readonly result: LoadgenResult;
  /** The machine's 1, 5 and 15 minute load averages as this side started (others' work shares the cores). */
  readonly loadAverage: number[];
  /** Nodes of this side that exited during the run (known for the stock side, whose processes the bench starts). */
  readonly nodesGone?: string[];
}

export const BASELINE =
  'stock Colyseus 0.18 (@colyseus/core, uwebsockets-transport, redis-presence, redis-driver as shipped) on one ' +
  'redis-server, the same number of node processes, a trivial lounge room (same seats, no state), a guest login ' +
  'with the same HMAC token checked in onAuth; no Player object';

/** The loadgen figures compared, in print order, with the targets of the issue that asks for them. */
const COMPARED: readonly { name: string; target?: string }[] = [
  { name: 'joins_per_s', target: '>= 3x baseline, >= 2000 (ramp >= 25 s)' },
  { name: 'join_p99_ms', target: '<= 1000 ms' },
  { name: 'errors', target: '0' },
  { name: 'retries' },
  { name: 'backend_cpu_ms_per_join' },
  { name: 'loadgen_cpu_ms_per_join' },
];

const STOCK = 'stock_colyseus_';

function figureOf(side: Side, name: string): Figure | undefined {
  return side.result.figures.find((f) => f.name === name);
}

function compared(resident: Side, stock: Side): Figure[] {
  return COMPARED.flatMap(({ name, target }) => {
    const ours = figureOf(resident, name);
    if (!ours) return [];
    const theirs = figureOf(stock, name);
    const note =
      ours.note === theirs?.note
        ? `both: ${ours.note}`
        : `${resident.label}: ${ours.note ?? '-'} | ${stock.label}: ${theirs?.note ?? 'not measured'}`;
    const fig = { name, value: ours.value, unit: ours.unit, ...(target ? { target } : {}), note };
    return [theirs ? withBaseline({ ...fig, baseline: { name: `${STOCK}${name}`, value: theirs.value } }) : fig];
  });
}

export interface JoinsSetup {
  command: string;
  nodes: number;
  run: RunOptions;
  redis: string;
}

export function joinsResult(resident: Side, stock: Side, setup: JoinsSetup): BenchResult {
  const joins = (s: Side) => figureOf(s, 'joins_per_s')?.value ?? 0;
  if (joins(resident) === 0 && joins(stock) === 0) throw new Error('no bot joined on either side: nothing to compare');
  const { run } = setup;
  return {
    bench: 'joins',
    when: resident.result.when,
    machine: { ...resident.result.machine, redis: setup.redis },
    command: setup.command,
    target: 'joins_per_s >= 3x stock_colyseus_joins_per_s and >= 2000 over a ramp >= 25 s, 0 errors, p99 <= 1000 ms',
    baseline: BASELINE,
    load: {
      nodes: setup.nodes,
      users: run.users,
      rampMs: run.rampMs,
      holdMs: run.holdMs,
      concurrencyPerWorker: run.concurrency,
      workers: resident.result.setup.workers.length,
      scenario: run.scenario.description,
    },
    figures: compared(resident, stock),
    details: { resident: detailsOf(resident), stock_colyseus: detailsOf(stock) },
  };
}

function detailsOf(side: Side): Record<string, unknown> {
  const r = side.result;
  return {
    label: side.label,
    when: r.when,
    loadAverage: side.loadAverage,
    ...(side.nodesGone ? { nodesGone: side.nodesGone } : {}),
    targets: r.setup.targets,
    joinRamp: r.joinRamp ?? null,
    errorKinds: r.errors.errorKinds,
    errorSamples: r.errors.errorSamples.slice(0, 5),
    workerFlags: r.flags.map((f) => `${f.worker} ${f.kind}: ${f.detail}`),
    figures: r.figures.map(({ name, value, unit }) => ({ name, value, unit })),
  };
}

/** The compared figures side by side, labelled with what each side is. */
export function printSideBySide(resident: Side, stock: Side): void {
  const rows = COMPARED.map(({ name }) => {
    const a = figureOf(resident, name);
    const b = figureOf(stock, name);
    const ratio = a && b && b.value !== 0 ? `${round(a.value / b.value, 2)}×` : '';
    return [name, a ? `${a.value}` : '-', b ? `${b.value}` : '-', ratio, a?.unit ?? b?.unit ?? ''];
  });
  const header = ['figure', resident.label, stock.label, `${resident.label} / ${stock.label}`, 'unit'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' │ ');
  console.log(`\nbench:joins — ${resident.label} vs the baseline: ${BASELINE}`);
  console.log(line(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('─┼─'));
  for (const r of rows) console.log(line(r));
}
