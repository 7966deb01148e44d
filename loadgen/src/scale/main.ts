// `npm run loadgen:scale`: the same scenario on local clusters of 1, 2 and 4 backend nodes, one after another, then
// capacity and cost per user plotted against node count (scale.json + scale.html). Load flags as for a run; the
// users grow with the nodes (--users-per-node).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCli } from '../cli/args.ts';
import { parseInteger } from '../cli/durations.ts';
import { UsageError } from '../cli/usage-error.ts';
import { runSession } from '../coordinator/session.ts';
import { renderScale, type ScaleChart } from '../report/html.ts';
import type { LoadgenResult } from '../report/result.ts';

const NODE_COUNTS = [1, 2, 4];

const USAGE = `usage: npm run loadgen:scale -- [--users-per-node N] [--nodes 1,2,4] [run options without --users/--targets/--local]
  Runs the scenario on local clusters of each node count (default 1, 2, 4) with N users per node (default 2000),
  writes scale.json and scale.html (capacity and cost per user against node count) into --out (default bench-results/loadgen-scale-<time>).`;

async function main(argv: string[]): Promise<number> {
  const { mine, rest } = splitArgs(argv, ['--users-per-node', '--nodes', '--out']);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const perNode = parseInteger(mine['--users-per-node'], '--users-per-node', 2000, 1, 18_000);
  const counts = mine['--nodes']
    ? mine['--nodes'].split(',').map((n) => parseInteger(n, '--nodes', 0, 1, 16))
    : NODE_COUNTS;
  for (const flag of ['--users', '--targets', '--local'])
    if (rest.includes(flag)) throw new UsageError(`${flag} is set per step by loadgen:scale`);
  const base = process.env.INIT_CWD ?? process.cwd();
  const out = resolve(
    base,
    mine['--out'] ?? join('bench-results', `loadgen-scale-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  const runs: LoadgenResult[] = [];
  for (const n of counts) {
    const cmd = parseCli([
      ...rest,
      '--users',
      String(perNode * n),
      '--local',
      String(n),
      '--out',
      join(out, `nodes-${n}`),
    ]);
    if (cmd.mode !== 'run') throw new UsageError('loadgen:scale takes run options only');
    console.log(`\n== ${n} node(s), ${perNode * n} users ==`);
    const { result } = await runSession(cmd.options, { command: `npm run loadgen:scale -- ${argv.join(' ')}` });
    runs.push(result);
    if (result.partial) break;
  }
  mkdirSync(out, { recursive: true });
  const charts = scaleCharts(runs);
  writeFileSync(
    join(out, 'scale.json'),
    `${JSON.stringify({ nodes: runs.map((r) => r.setup.local), charts, runs: runs.map(({ timeline: _t, ...r }) => r) }, null, 1)}\n`,
  );
  writeFileSync(
    join(out, 'scale.html'),
    renderScale(`loadgen scaling curve — ${runs[0]?.scenario ?? ''}`, charts, runs),
  );
  console.log(`\nscaling curve: ${join(out, 'scale.html')}`);
  return 0;
}

/** Takes out `flags` (each with its value); the rest are run flags, passed on as they are. */
function splitArgs(argv: string[], flags: string[]): { mine: Record<string, string>; rest: string[] } {
  const mine: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!flags.includes(name)) rest.push(argv[i]!);
    else if (inline !== undefined) mine[name] = inline;
    else if (i + 1 < argv.length) mine[name] = argv[++i]!;
    else throw new UsageError(`${name} needs a value`);
  }
  return { mine, rest };
}

function scaleCharts(runs: LoadgenResult[]): ScaleChart[] {
  const x = runs.map((r) => r.setup.local ?? 0);
  // By name, or by prefix for the per-user figures, named for the scenario's users (idle, playing, a blend).
  const fig = (name: string) =>
    runs.map(
      (r) => r.figures.find((f) => f.name === name || (name.endsWith('_') && f.name.startsWith(name)))?.value ?? null,
    );
  // Backend CPU per 1,000 users: mean of the nodes' summed CPU over the window rows, per thousand held users.
  const cpuPerK = runs.map((r) => {
    const rows = r.timeline.filter((row) => row.t >= r.window.startS && row.t < r.window.endS && row.active > 0);
    const cpu = rows.map(
      (row) => Object.values(row.nodes).reduce((a, n) => a + (n.cpuPct ?? 0), 0) / (row.active / 1000),
    );
    return cpu.length ? Math.round((cpu.reduce((a, b) => a + b, 0) / cpu.length) * 100) / 100 : null;
  });
  return [
    {
      title: 'Capacity: users held (0 errors wanted) and errors',
      x,
      xLabel: 'backend nodes',
      series: [
        { label: 'users held', values: fig('concurrent_users_held') },
        { label: 'errors', values: fig('errors') },
      ],
    },
    { title: 'RTT p99 (ms)', x, xLabel: 'backend nodes', series: [{ label: 'rtt p99', values: fig('rtt_p99_ms') }] },
    {
      title: 'Cost per user: backend bytes per user',
      x,
      xLabel: 'backend nodes',
      series: [{ label: 'bytes/user', values: fig('backend_bytes_per_') }],
    },
    {
      title: 'Cost per user: backend CPU % of a core per 1,000 users',
      x,
      xLabel: 'backend nodes',
      series: [{ label: 'CPU %/1k users', values: cpuPerK }],
    },
  ];
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`loadgen:scale: ${err instanceof UsageError ? err.message : ((err as Error).stack ?? String(err))}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
