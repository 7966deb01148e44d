// One node count's capacity: a fresh local cluster (each node its own machine when asked), then steps of the search
// (search.ts) against it, each a whole loadgen run judged against the bound, with the box sampled throughout.

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCli } from '../cli/args.ts';
import { UsageError } from '../cli/usage-error.ts';
import { runSession } from '../coordinator/session.ts';
import { startLocalCluster } from '../local/cluster.ts';
import type { LoadgenResult } from '../report/result.ts';
import type { ScaleOptions } from './args.ts';
import { BoxSampler, type BoxWindow } from './box.ts';
import { bracket, nextUsers, type SearchPlan } from './search.ts';

/** Bots of the last step leave their rooms; the next step must not find them half-full. */
const SETTLE_MS = 3000;
/** While no step has failed yet, the first count grows by this much a step. */
const FIRST_GROWTH = 1.5;

export interface Step {
  readonly users: number;
  readonly pass: boolean;
  /** Why it failed (empty when it passed). */
  readonly why: string;
  readonly held: number;
  readonly errors: number;
  readonly rttP99Ms: number | undefined;
  readonly rampS: number;
  readonly box: BoxWindow | undefined;
  /** The step's backend nodes' CPU, summed, % of a core, mean over the window. */
  readonly nodesCpuPct: number | undefined;
  readonly genCpuPct: number | undefined;
  readonly result: LoadgenResult;
}

export interface CountResult {
  readonly nodes: number;
  readonly steps: Step[];
  /** The most users a passing step held (0: none passed). */
  readonly capacity: number;
  /** The lowest failing step above it (undefined: the search hit its ceiling or step limit first). */
  readonly firstFail: number | undefined;
  readonly best: Step | undefined;
}

/** `perNodeHint`: the last count's capacity per node; the search starts just below it times `nodes`. */
export async function findCapacity(
  nodes: number,
  opts: ScaleOptions,
  perNodeHint: number | undefined,
  command: string,
  outDir: string,
): Promise<CountResult> {
  console.log(`\n== ${nodes} node(s): starting a fresh local cluster ==`);
  const cluster = await startLocalCluster(nodes, {
    machines: opts.machines,
    nodeArgs: opts.arenaSize ? ['--arena-size', String(opts.arenaSize)] : [],
  });
  for (const line of cluster.settings) console.log(line);
  const names = Array.from({ length: nodes }, (_, i) => `node${i + 1}`);
  const sampler = new BoxSampler(() => names.map((n) => cluster.machines?.throttling(n)));
  sampler.start();
  const steps: Step[] = [];
  try {
    const plan = planFor(nodes, opts, perNodeHint);
    for (let users = nextUsers(steps, plan); users !== undefined; users = nextUsers(steps, plan)) {
      if (steps.length) await sleep(SETTLE_MS);
      const step = await runStep(users, nodes, cluster.nodes, opts, { command, outDir, sampler });
      steps.push(step);
      console.log(`-- ${nodes} node(s), ${users} users: ${step.pass ? 'PASS' : `FAIL (${step.why})`}`);
    }
  } finally {
    sampler.stop();
    await cluster.stop();
  }
  const { lo, hi } = bracket(steps);
  const best = steps.find((s) => s.pass && s.users === lo);
  return { nodes, steps, capacity: best?.held ?? 0, firstFail: hi, best };
}

function planFor(nodes: number, opts: ScaleOptions, perNodeHint: number | undefined): SearchPlan {
  const max = nodes * opts.maxPerNode;
  const common = { resolution: opts.resolution, min: nodes, max, maxSteps: opts.maxSteps };
  if (!perNodeHint) return { ...common, start: nodes * opts.startPerNode, growth: FIRST_GROWTH };
  // Linear scaling is the hypothesis: start just under it, and step in twice the resolution around it.
  return { ...common, start: Math.round(nodes * perNodeHint * 0.95), growth: 1 + 2 * opts.resolution };
}

interface StepContext {
  readonly command: string;
  readonly outDir: string;
  readonly sampler: BoxSampler;
}

async function runStep(
  users: number,
  nodes: number,
  targets: readonly string[],
  opts: ScaleOptions,
  ctx: StepContext,
): Promise<Step> {
  const rampS = Math.max(2, Math.ceil(users / (nodes * opts.joinRate)));
  const cmd = parseCli([
    ...opts.run,
    ...['--users', String(users), '--ramp', `${rampS}s`, '--targets', targets.join(',')],
    ...['--out', join(ctx.outDir, `nodes-${nodes}`, `users-${users}`), '--no-progress'],
  ]);
  if (cmd.mode !== 'run') throw new UsageError('loadgen:scale takes run options only');
  if (cmd.options.scenario.kind !== 'sockets')
    throw new UsageError('loadgen:scale needs a socket scenario (--scenario)');
  console.log(`\n-- ${nodes} node(s), ${users} users (ramp ${rampS} s) --`);
  const { result } = await runSession(cmd.options, { command: ctx.command, log: () => {} });
  const t0 = Date.parse(result.when);
  const box = ctx.sampler.window(t0 + result.window.startS * 1000, t0 + result.window.endS * 1000);
  return { ...judge(result, users, opts.boundMs), rampS, box, ...windowCpu(result), result };
}

function judge(r: LoadgenResult, users: number, boundMs: number) {
  const fig = (name: string) => r.figures.find((f) => f.name === name)?.value;
  const held = fig('concurrent_users_held') ?? 0;
  const errors = fig('errors') ?? 0;
  const rttP99Ms = fig('rtt_p99_ms');
  const why = [
    r.partial ? `stopped: ${r.stopReason}` : '',
    errors > 0 ? `${errors} errors` : '',
    held < users ? `held ${held}` : '',
    rttP99Ms === undefined ? 'no rtt measured' : rttP99Ms > boundMs ? `rtt p99 ${rttP99Ms} ms > ${boundMs} ms` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return { users, pass: why === '', why, held, errors, rttP99Ms };
}

/** Means over the measurement window's rows: the nodes' CPU summed, and the generator's. */
function windowCpu(r: LoadgenResult): { nodesCpuPct: number | undefined; genCpuPct: number | undefined } {
  const rows = r.timeline.filter((row) => row.t >= r.window.startS && row.t < r.window.endS);
  if (rows.length === 0) return { nodesCpuPct: undefined, genCpuPct: undefined };
  const mean = (f: (row: (typeof rows)[number]) => number) =>
    Math.round(rows.reduce((a, row) => a + f(row), 0) / rows.length);
  return {
    nodesCpuPct: mean((row) => Object.values(row.nodes).reduce((a, n) => a + (n.cpuPct ?? 0), 0)),
    genCpuPct: mean((row) => row.genCpuPct ?? 0),
  };
}
