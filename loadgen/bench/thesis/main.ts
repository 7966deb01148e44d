// npm run bench:thesis -- [options]
// The thesis, measured: the same game services on Resident (objects in memory, state in JetStream) and on a
// stateless twin built the way a strong team builds one (Fastify, PostgreSQL, Redis cache-aside and sorted set),
// with the same number of application processes, the same workload, on this machine, in one run. Exit codes: 0
// measured (goals met or not), 1 could not measure, 2 bad flag.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { killAllOnSignals } from '@resident/infra/process';
import { type BenchResult, machineInfo, report } from '@resident/shared/bench';
import { parseStrict } from '../../src/cli/args.ts';
import { parseInteger } from '../../src/cli/durations.ts';
import { UsageError } from '../../src/cli/usage-error.ts';
import { renderSvg } from '../../src/report/svg.ts';
import { thesisFigures } from './figures.ts';
import { latencyChart, renderThesis } from './html.ts';
import { codeSize } from './loc.ts';
import { type BenchPlan, runStack, type StackResult } from './run.ts';
import { startResidentStack } from './stacks/resident.ts';
import type { Stack } from './stacks/stack.ts';
import { startStatelessStack } from './stacks/stateless.ts';
import { describeMix } from './workload.ts';

const USAGE = `usage: npm run bench:thesis -- [options]
  The same game services on Resident and on a stateless twin (Fastify, PostgreSQL, Redis), the same workload.
  --players N        players, Zipf-distributed popularity (default 100000)
  --app N            application processes of each stack (default 2; 1-8)
  --rates LIST       open-loop offered rates, ops/s (default 1000,2000,3000,4000,8000)
  --concurrency LIST closed-loop operations in flight (default 4,16,64,128,256)
  --step N           seconds of each rate and concurrency (default 10)
  --warmup N         seconds of unmeasured load before the first step (default 5)
  --check-players N  players of the correctness checks (default 20)
  --check-seconds N  seconds of the stale-read check (default 5)
  --seed N           the workload's seed: both stacks get the same operations (default 1)
  --first SIDE       resident (default) or stateless: which stack runs first (the machine warms up over a run)
  --jetstream-sync always|interval
                     always (default): JetStream fsyncs each write before Resident acknowledges it, as PostgreSQL
                     flushes each commit; interval: JetStream's own (every 2 min; writes are in its file at the ack)
  --out DIR          the HTML report, the latency chart (SVG) and the JSON (default bench-results/thesis-<time>)
  --json FILE        the result in the BENCHMARKS format
  -h, --help         this help`;

const OPTIONS = {
  players: { type: 'string' },
  app: { type: 'string' },
  rates: { type: 'string' },
  concurrency: { type: 'string' },
  step: { type: 'string' },
  warmup: { type: 'string' },
  'check-players': { type: 'string' },
  'check-seconds': { type: 'string' },
  'jetstream-sync': { type: 'string' },
  seed: { type: 'string' },
  first: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseList(raw: string | undefined, flag: string, fallback: number[], max: number): number[] {
  if (raw === undefined) return fallback;
  const items = raw.split(',').map((item) => parseInteger(item.trim(), flag, 0, 1, max));
  if (items.some((v, i) => i > 0 && v <= items[i - 1]!)) throw new UsageError(`${flag} must rise: got ${raw}`);
  return items;
}

type Plan = BenchPlan & { out: string; json: string | undefined; syncAlways: boolean; statelessFirst: boolean };

function parseFirst(raw: string | undefined): boolean {
  if (raw === undefined || raw === 'resident') return false;
  if (raw === 'stateless') return true;
  throw new UsageError(`--first must be resident or stateless, got ${JSON.stringify(raw)}`);
}

function parseSync(raw: string | undefined): boolean {
  if (raw === undefined || raw === 'always') return true;
  if (raw === 'interval') return false;
  throw new UsageError(`--jetstream-sync must be always or interval, got ${JSON.stringify(raw)}`);
}

function parsePlan(argv: readonly string[]): Plan | undefined {
  const { values, positionals } = parseStrict(argv, OPTIONS);
  if (values.help) return undefined;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    players: parseInteger(values.players, '--players', 100_000, 10, 10_000_000),
    app: parseInteger(values.app, '--app', 2, 1, 8),
    rates: parseList(values.rates, '--rates', [1000, 2000, 3000, 4000, 8000], 1_000_000),
    concurrencies: parseList(values.concurrency, '--concurrency', [4, 16, 64, 128, 256], 10_000),
    stepSeconds: parseInteger(values.step, '--step', 10, 1, 3600),
    warmupSeconds: parseInteger(values.warmup, '--warmup', 5, 0, 3600),
    checkPlayers: parseInteger(values['check-players'], '--check-players', 20, 1, 10_000),
    checkSeconds: parseInteger(values['check-seconds'], '--check-seconds', 5, 1, 3600),
    out: resolve(process.env.INIT_CWD ?? process.cwd(), values.out ?? join('bench-results', `thesis-${stamp}`)),
    json: values.json,
    syncAlways: parseSync(values['jetstream-sync']),
    statelessFirst: parseFirst(values.first),
    seed: parseInteger(values.seed, '--seed', 1, 0, 2 ** 32 - 1),
  };
}

const progress = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function measure(start: () => Promise<Stack>, plan: BenchPlan): Promise<StackResult> {
  const stack = await start();
  try {
    progress(`${stack.name}: ${stack.description[0]}`);
    return await runStack(stack, plan, progress);
  } finally {
    await stack.close();
  }
}

/** Both stacks, one after the other, in the order asked. */
async function measureBoth(plan: Plan): Promise<{ resident: StackResult; stateless: StackResult }> {
  const resident = () => measure(() => startResidentStack(plan.app, plan.syncAlways), plan);
  const stateless = () => measure(() => startStatelessStack(plan.app), plan);
  if (plan.statelessFirst) {
    const s = await stateless();
    return { stateless: s, resident: await resident() };
  }
  const r = await resident();
  return { resident: r, stateless: await stateless() };
}

async function main(argv: readonly string[]): Promise<number> {
  const plan = parsePlan(argv);
  if (!plan) {
    console.log(USAGE);
    return 0;
  }
  // Stopped by a signal, the run still takes PostgreSQL, Redis, NATS and the nodes with it.
  killAllOnSignals();
  const command = `npm run bench:thesis -- ${argv.join(' ')}`.trim();
  const mix = describeMix();
  progress(`workload: ${plan.players} players (Zipf, s = 1, seed ${plan.seed}); ${mix}`);
  const { resident, stateless } = await measureBoth(plan);
  const loc = codeSize();
  if ('missing' in loc) console.error(`bench:thesis: ${loc.missing}`);
  const code = 'missing' in loc ? undefined : loc;
  if (code) {
    for (const side of ['resident', 'stateless'] as const) {
      progress(`${side} game logic: ${code[side].lines} lines (${code.tool}): ${code[side].files.join(', ')}`);
    }
  }
  const figures = thesisFigures(resident, stateless, code);
  const machine = machineInfo();
  const result: BenchResult = {
    bench: 'thesis',
    when: new Date().toISOString(),
    machine,
    command,
    figures,
    workload: { players: plan.players, zipfExponent: 1, seed: plan.seed, mix },
    order: plan.statelessFirst ? ['stateless', 'resident'] : ['resident', 'stateless'],
    jetstreamSync: plan.syncAlways ? 'always' : 'interval',
    sides: [resident, stateless],
    ...(code ? { code } : {}),
  };
  report(result, plan.json);
  mkdirSync(plan.out, { recursive: true });
  const html = renderThesis({
    figures,
    sides: [resident, stateless],
    code,
    mix,
    command,
    machine: JSON.stringify(machine),
  });
  writeFileSync(join(plan.out, 'report.html'), html);
  writeFileSync(join(plan.out, 'latency.svg'), renderSvg(latencyChart([resident, stateless])));
  writeFileSync(join(plan.out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`report: ${join(plan.out, 'report.html')}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:thesis: ${err instanceof UsageError ? err.message : ((err as Error).stack ?? String(err))}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
