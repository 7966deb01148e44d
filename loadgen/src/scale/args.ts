// loadgen:scale's own flags; the rest are run flags, passed on to each step. Pure: throws UsageError.

import { MAX_CPU, MAX_FDS, type MachineLimits, MIN_CPU, MIN_FDS, quotaUnsupported } from '@resident/infra/process';
import { LIMITS } from '../cli/args.ts';
import { parseInteger } from '../cli/durations.ts';
import { UsageError } from '../cli/usage-error.ts';

export const NODE_COUNTS = [1, 2, 4, 8];

export const USAGE = `usage: npm run loadgen:scale -- [options] [run options: --scenario, --hold, --warmup, --input-hz, …]
  For each node count, a fresh local cluster, then a search for its capacity: the most users held with 0 errors and
  rtt_p99 (input→ack for play) within --bound. Steps grow by half while they pass, then bisect between the best pass
  and the lowest fail to --resolution. Writes scale.json, scale.html and scale.svg (users held against node count,
  with the ideal linear line) into --out.
  --nodes 1,2,4,8        node counts (default 1,2,4,8; each 1-${LIMITS.localNodes})
  --node-cpu C           each node its own machine: a CPU quota of C cores (cgroup; ${MIN_CPU}-${MAX_CPU}; needs root)
  --node-fds N           each node's open-file limit (prlimit; ${MIN_FDS}-${MAX_FDS.toLocaleString('en-US')})
  --arena-size N         players per arena room on the nodes (default 10: rooms small enough to spread over the nodes
                         at a few dozen users per node; 0: the game's own)
  --bound MS             the latency bound on rtt_p99 (default 100 ms; 1-10000)
  --start-per-node N     the first step's users per node (default 20); later counts start from the last capacity
  --max-per-node N       the search's ceiling per node (default 5000)
  --resolution F         stop bisecting once the lowest fail is within F above the best pass (default 0.1; 0.02-0.5)
  --join-rate N          joins per second per node in each step's ramp (default 4; the ramp is users / (nodes × N))
  --max-steps N          steps per node count at most (default 8)
  --out DIR              default bench-results/loadgen-scale-<time>
  --json FILE            the curve's figures in the BENCHMARKS format
  Scenario: play unless --scenario is given (small rooms and steady input make CPU the limit, not the join rate).
  Hold 15 s with a 5 s warm-up per step, every bot timing input→ack (--decode-sample 1), unless given.`;

export interface ScaleOptions {
  readonly counts: number[];
  readonly machines: MachineLimits | undefined;
  readonly boundMs: number;
  /** Players per arena room; undefined: the game's own. */
  readonly arenaSize: number | undefined;
  readonly startPerNode: number;
  readonly maxPerNode: number;
  readonly resolution: number;
  readonly joinRate: number;
  readonly maxSteps: number;
  readonly out: string | undefined;
  readonly json: string | undefined;
  /** Run flags for every step, the scale defaults included. */
  readonly run: string[];
}

const MINE = [
  '--nodes',
  '--node-cpu',
  '--node-fds',
  '--bound',
  '--arena-size',
  '--start-per-node',
  '--max-per-node',
  '--resolution',
  '--join-rate',
  '--max-steps',
  '--out',
  '--json',
];
/** Set per step by the search. */
const PER_STEP = ['--users', '--targets', '--local', '--ramp'];

export function parseScaleArgs(argv: readonly string[]): ScaleOptions {
  const { mine, rest } = splitArgs(argv, MINE);
  for (const flag of PER_STEP)
    if (rest.some((a) => a === flag || a.startsWith(`${flag}=`)))
      throw new UsageError(`${flag} is set per step by loadgen:scale`);
  const maxPerNode = parseInteger(mine['--max-per-node'], '--max-per-node', 5000, 1, LIMITS.socketsPerWorker);
  return {
    counts: parseCounts(mine['--nodes']),
    machines: parseMachines(mine['--node-cpu'], mine['--node-fds']),
    boundMs: parseInteger(mine['--bound'], '--bound', 100, 1, 10_000),
    arenaSize: parseInteger(mine['--arena-size'], '--arena-size', 10, 0, 500) || undefined,
    startPerNode: parseInteger(mine['--start-per-node'], '--start-per-node', Math.min(20, maxPerNode), 1, maxPerNode),
    maxPerNode,
    resolution: parseDecimal(mine['--resolution'], '--resolution', 0.1, 0.02, 0.5),
    joinRate: parseInteger(mine['--join-rate'], '--join-rate', 4, 1, 1000),
    maxSteps: parseInteger(mine['--max-steps'], '--max-steps', 8, 1, 30),
    out: mine['--out'],
    json: mine['--json'],
    run: withDefaults(rest),
  };
}

function parseCounts(raw: string | undefined): number[] {
  if (raw === undefined) return NODE_COUNTS;
  const counts = raw.split(',').map((n) => parseInteger(n.trim(), '--nodes', 0, 1, LIMITS.localNodes));
  if (new Set(counts).size !== counts.length) throw new UsageError(`--nodes lists a count twice: ${raw}`);
  return counts;
}

function parseMachines(cpuRaw: string | undefined, fdsRaw: string | undefined): MachineLimits | undefined {
  if (cpuRaw === undefined && fdsRaw === undefined) return undefined;
  const cpu = cpuRaw === undefined ? undefined : parseDecimal(cpuRaw, '--node-cpu', 0, MIN_CPU, MAX_CPU);
  const fds = fdsRaw === undefined ? undefined : parseInteger(fdsRaw, '--node-fds', 0, MIN_FDS, MAX_FDS);
  const why = cpu === undefined ? undefined : quotaUnsupported();
  if (why) throw new UsageError(`--node-cpu: ${why}`);
  return { ...(cpu === undefined ? {} : { cpu }), ...(fds === undefined ? {} : { fds }) };
}

function parseDecimal(raw: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d*\.?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max))
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

function withDefaults(rest: string[]): string[] {
  const has = (flag: string) => rest.some((a) => a === flag || a.startsWith(`${flag}=`));
  return [
    ...(has('--scenario') ? [] : ['--scenario', 'play']),
    ...(has('--hold') ? [] : ['--hold', '15s']),
    ...(has('--warmup') ? [] : ['--warmup', '5s']),
    // At a few dozen users, play's 10 % would leave one bot or none timing input→ack: the p99 of one bot is noise.
    ...(has('--decode-sample') ? [] : ['--decode-sample', '1']),
    ...rest,
  ];
}

/** Takes out `flags` (each with its value); the rest are run flags, passed on as they are. */
function splitArgs(argv: readonly string[], flags: string[]): { mine: Record<string, string>; rest: string[] } {
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
