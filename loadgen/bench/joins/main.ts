// npm run bench:joins -- [--nodes N] [--users N] [--ramp DUR] [--hold DUR] [--concurrency N] [--workers N]
//                        [--timeout DUR] [--out DIR] [--json FILE] [--no-progress]
// The join ramp of the loadgen (its lean bots, its joins_per_s) against Resident (`--local N`: NATS + N game nodes,
// the real lounge with its Player objects), then against the baseline, stock Colyseus 0.18 on one redis-server with
// the same N node processes (stock-node.ts), with the same bots, users and ramp. Both share this machine with the
// generator. Exit codes as the loadgen's: 0 measured (targets met or not), 1 could not measure, 2 bad flag, 130 Ctrl-C.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { report, round } from '@resident/shared/bench';
import { OPTIONS as LOADGEN_OPTIONS, parseCli, parseStrict, type RunOptions } from '../../src/cli/args.ts';
import { parseInteger } from '../../src/cli/durations.ts';
import { UsageError } from '../../src/cli/usage-error.ts';
import { runSession } from '../../src/coordinator/session.ts';
import { joinsResult, printSideBySide, type Side } from './report.ts';
import { startStockCluster } from './stock-cluster.ts';

const SCENARIO = fileURLToPath(new URL('./joins.json', import.meta.url));
/** Time for the first side's processes to be gone and the machine quiet before the second side starts. */
const SETTLE_MS = 3000;
/**
 * Bots held per node by default: below the 20,000 open files a process may have here (a node at that cap cannot
 * accept, and a stock node dies), with room for HTTP connections and for rooms that fill one node faster.
 */
const USERS_PER_NODE = 15_000;

const USAGE = `usage: npm run bench:joins -- [options]
  Resident (--local N) and then stock Colyseus 0.18 on redis-server (N stock nodes), the same join ramp of lean bots
  against each; reports joins_per_s with stock_colyseus_joins_per_s as its baseline.
  --nodes N         node processes on each side (default 2; 1-8)
  --users N         bots of each ramp (default 15000 per node: 1,000 joins/s offered over the default ramp with 2
                    nodes; a node process may hold 20,000 open files here, and one that runs out dies)
  --ramp DUR        the ramp (default 30s; joins_per_s asks for one of at least 25 s)
  --hold DUR        after the ramp, before the bots leave (default 5s)
  --concurrency N   joins in flight per generator worker (default 64)
  --workers N       generator worker processes (default: one per 18,000 bots)
  --timeout DUR     per join step (default 15s)
  --out DIR         each side's result.json and report.html (default bench-results/joins-<time>)
  --json FILE       the summary in the BENCHMARKS format
  --no-progress     a progress line every 5 s instead of the live display
  -h, --help        this help`;

/** --nodes, and the loadgen's own flags for the load (they mean what they mean there). */
const OPTIONS = {
  nodes: { type: 'string' },
  ...pick(LOADGEN_OPTIONS, [
    'users',
    'ramp',
    'hold',
    'concurrency',
    'workers',
    'timeout',
    'out',
    'json',
    'no-progress',
    'help',
  ]),
} as const;

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, from[k]])) as Pick<T, K>;
}

interface Plan {
  nodes: number;
  /** The run options of the Resident side; the stock side's are the same but for where. */
  run: RunOptions;
  out: string;
  json: string | undefined;
}

/** Flags checked before anything starts; the load flags by the loadgen's own parser, so they mean the same. */
function parsePlan(argv: readonly string[]): Plan | undefined {
  const { values, positionals } = parseStrict(argv, OPTIONS);
  if (values.help) return undefined;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const nodes = parseInteger(values.nodes, '--nodes', 2, 1, 8);
  const passed = (['concurrency', 'workers', 'timeout'] as const).flatMap((k) =>
    values[k] === undefined ? [] : [`--${k}`, values[k]],
  );
  const args = [
    ...[
      '--users',
      values.users ?? String(USERS_PER_NODE * nodes),
      '--ramp',
      values.ramp ?? '30s',
      '--hold',
      values.hold ?? '5s',
    ],
    ...['--scenario', SCENARIO, '--local', String(nodes), ...passed],
    ...(values['no-progress'] ? ['--no-progress'] : []),
  ];
  const cmd = parseCli(args);
  if (cmd.mode !== 'run') throw new UsageError('bench:joins takes run options only');
  const base = process.env.INIT_CWD ?? process.cwd();
  const out = resolve(
    base,
    values.out ?? join('bench-results', `joins-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  return { nodes, run: cmd.options, out, json: values.json };
}

async function runSide(label: string, run: RunOptions, command: string, signal: AbortSignal): Promise<Side> {
  const loadAverage = loadavg().map((l) => round(l, 2));
  console.log(
    `\n== ${label}: ${run.users} bots over a ${run.rampMs / 1000} s ramp (load average ${loadAverage.join(', ')}) ==`,
  );
  const { result, files } = await runSession(run, { command: `${command} (${label})`, signal });
  console.log(`${label}: ${files.json}`);
  if (result.partial) throw new Interrupted();
  return { label, result, loadAverage };
}

class Interrupted extends Error {}

async function main(argv: string[], signal: AbortSignal): Promise<number> {
  const plan = parsePlan(argv);
  if (!plan) {
    console.log(USAGE);
    return 0;
  }
  const command = `npm run bench:joins -- ${argv.join(' ')}`.trim();
  const resident = await runSide('Resident', { ...plan.run, out: join(plan.out, 'resident') }, command, signal);
  await sleep(SETTLE_MS);
  console.log(`\nstarting the baseline: redis-server + ${plan.nodes} stock Colyseus 0.18 node(s)…`);
  const cluster = await startStockCluster(plan.nodes);
  let stock: Side;
  try {
    const run = { ...plan.run, local: undefined, targets: { nodes: cluster.nodes }, out: join(plan.out, 'stock') };
    stock = await runSide('stock Colyseus', run, command, signal);
    const gone = cluster.gone();
    if (gone.length) console.error(`bench:joins: stock node(s) ${gone.join(', ')} exited during the run`);
    stock = { ...stock, nodesGone: gone };
  } finally {
    await cluster.stop();
  }
  const result = joinsResult(resident, stock, { command, nodes: plan.nodes, run: plan.run, redis: redisVersion() });
  printSideBySide(resident, stock);
  report(result, plan.json);
  return 0;
}

function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const abort = new AbortController();
process.on('SIGINT', () => {
  if (abort.signal.aborted) process.exit(130);
  console.error('\nstopping: ending the run (Ctrl-C again to quit at once)');
  abort.abort();
});
main(process.argv.slice(2), abort.signal).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof Interrupted) process.exit(130);
    console.error(`bench:joins: ${err instanceof UsageError ? err.message : ((err as Error).stack ?? String(err))}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
