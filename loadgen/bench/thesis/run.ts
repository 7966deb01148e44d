// One stack through the whole bench: seed the players, the open-loop rates, the closed-loop concurrencies, the
// correctness checks. Each phase's cost is measured with it.
import { summarize } from '../../src/metrics/histogram.ts';
import { countLostUpdates, countStaleReads } from './correctness.ts';
import { type Cost, DRIVER, type LoopDelay, measured, stackCpu } from './cost.ts';
import { closedLoop, openLoop, type PhaseResult } from './drive.ts';
import type { Stack, StackClient, StackCounters } from './stacks/stack.ts';
import { seededRandom, Workload } from './workload.ts';

const WARMUP_CONCURRENCY = 16;

export interface BenchPlan {
  players: number;
  /** Application processes of each stack; as many clients drive them. */
  app: number;
  rates: number[];
  concurrencies: number[];
  stepSeconds: number;
  /** Unmeasured closed-loop load before the first step: code compiled, pools and caches warm on both sides. */
  warmupSeconds: number;
  /** The correctness checks' size. */
  checkPlayers: number;
  checkSeconds: number;
  /** Seeds the workload: each stack gets the same operations in the same order. */
  seed: number;
}

/** One load step's figures. */
export interface Step {
  /** Offered rate (open loop) or concurrency (closed loop). */
  at: number;
  opsPerS: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  errorSamples: string[];
  saturated: boolean;
  /** CPU ms per 1,000 operations: the stack's application tier, its servers, the driver. */
  appCpuMsPer1k: number;
  infraCpuMsPer1k: number;
  driverCpuMsPer1k: number;
  /** The driver's event-loop delay in the step (the driver hosts the clients of both stacks). */
  driverLoop: LoopDelay;
  /** Per operation: database statements, Redis commands, NATS messages, state writes and batches, loopback bytes. */
  perOp: Partial<Record<keyof StackCounters | 'bytes', number>>;
}

export interface StackResult {
  name: Stack['name'];
  description: string[];
  processes: string[];
  open: Step[];
  closed: Step[];
  correctness: Awaited<ReturnType<typeof countLostUpdates>> & Awaited<ReturnType<typeof countStaleReads>>;
}

export async function runStack(stack: Stack, plan: BenchPlan, progress: (line: string) => void): Promise<StackResult> {
  const clients = await stack.clients(plan.app);
  await seed(clients, plan.players, progress);
  const workload = new Workload(plan.players, seededRandom(plan.seed));
  const next = () => workload.next();
  await closedLoop(clients, next, WARMUP_CONCURRENCY, plan.warmupSeconds);
  const open: Step[] = [];
  for (const rate of plan.rates) {
    const { result, cost, loop } = await measured(stack, () => openLoop(clients, next, rate, plan.stepSeconds));
    open.push(step(stack, rate, result, cost, loop));
    progress(`${stack.name}: open loop ${describeStep(open.at(-1)!, 'ops/s offered')}`);
  }
  const closed: Step[] = [];
  for (const concurrency of plan.concurrencies) {
    const phase = () => closedLoop(clients, next, concurrency, plan.stepSeconds);
    const { result, cost, loop } = await measured(stack, phase);
    closed.push(step(stack, concurrency, result, cost, loop));
    progress(`${stack.name}: closed loop ${describeStep(closed.at(-1)!, 'in flight')}`);
  }
  const lost = await countLostUpdates(clients, plan.checkPlayers, 50);
  const stale = await countStaleReads(clients, plan.checkPlayers, 4, plan.checkSeconds);
  progress(
    `${stack.name}: ${lost.lost} lost and ${lost.doubled} doubled of ${lost.grants} grants; ${stale.staleReads} stale of ${stale.reads} reads`,
  );
  return {
    name: stack.name,
    description: stack.description,
    processes: stack.processes.map((p) => `${p.name} (${p.tier})`),
    open,
    closed,
    correctness: { ...lost, ...stale },
  };
}

/** Every player enters once (both stacks then know all of them), many at a time; not measured. */
async function seed(clients: readonly StackClient[], players: number, progress: (line: string) => void) {
  let nextPlayer = 0;
  let done = 0;
  const started = performance.now();
  const worker = async (client: StackClient) => {
    while (nextPlayer < players) {
      await client.call({ kind: 'enter', player: nextPlayer++ });
      if (++done % 10_000 === 0) progress(`seeded ${done} of ${players} players`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, (_, i) => worker(clients[i % clients.length]!)));
  progress(`seeded ${players} players in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function step(stack: Stack, at: number, r: PhaseResult, cost: Cost, loop: LoopDelay): Step {
  const ops = Math.max(1, r.ops);
  const per1k = (cpuS: number) => (cpuS * 1e6) / ops;
  const per = (v: number | undefined) => (v === undefined ? undefined : v / ops);
  const s = summarize(r.latency);
  const perOp: Step['perOp'] = {};
  for (const [k, v] of Object.entries(cost.counters)) if (v !== undefined) perOp[k as keyof Step['perOp']] = per(v);
  if (cost.loopbackBytes !== undefined) perOp.bytes = per(cost.loopbackBytes);
  return {
    at,
    opsPerS: r.ops / r.seconds,
    p50: s.p50,
    p99: s.p99,
    p999: r.latency.percentile(99.9),
    errors: r.errors,
    errorSamples: r.errorSamples,
    saturated: r.saturated,
    appCpuMsPer1k: per1k(stackCpu(cost, stack, 'app')),
    infraCpuMsPer1k: per1k(stackCpu(cost, stack, 'infra')),
    driverCpuMsPer1k: per1k(cost.cpu.get(DRIVER) ?? 0),
    driverLoop: { p99Ms: round1(loop.p99Ms), maxMs: round1(loop.maxMs) },
    perOp,
  };
}

function describeStep(s: Step, unit: string): string {
  const errors = s.errors ? `, ${s.errors} errors (${s.errorSamples[0]})` : '';
  const loop = `driver loop delay p99 ${s.driverLoop.p99Ms} ms, max ${s.driverLoop.maxMs} ms`;
  return `${s.at} ${unit}: ${Math.round(s.opsPerS)} ops/s, p50 ${s.p50} ms, p99 ${s.p99} ms${s.saturated ? ' (saturated)' : ''}; ${loop}${errors}`;
}

const round1 = (v: number) => Math.round(v * 10) / 10;
