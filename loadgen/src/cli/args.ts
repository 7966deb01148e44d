// The loadgen's flags. Pure: throws UsageError, never exits or prints.

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { MAX_NODES } from '@resident/infra/cluster';
import {
  loadNatsClientAuth,
  NATS_CLIENT_OPTIONS,
  NATS_CLIENT_SETTINGS,
  type NatsClientSettings,
  NatsSettingError,
  natsClientSettings,
  natsClientUsage,
} from '@resident/shared/nats';
import { applyBlend, loadScenario, type Scenario, ScenarioError } from '../scenarios/scenario.ts';
import { parseDuration, parseFraction, parseInteger } from './durations.ts';
import { parseTargets, type TargetSet } from './targets.ts';
import { UsageError } from './usage-error.ts';

export const LIMITS = {
  socketUsers: 1_000_000,
  objectUsers: 2_000_000,
  rampMs: 2 * 3_600_000,
  holdMs: 2 * 3_600_000,
  localNodes: MAX_NODES,
  /** Sockets per worker process: the hard cap is 20,000 open files per process here. */
  socketsPerWorker: 18_000,
  workers: 64,
} as const;

export const USAGE = `usage: npm run loadgen -- [options]                 one machine: forks workers, runs, reports
       npm run loadgen -- coordinator --nats URL --expect K [options]   across machines, with K remote workers
       npm run loadgen -- worker --nats URL [--id NAME]               a remote worker (waits for a coordinator)

Load:
  --users N              users to reach (sockets: up to ${LIMITS.socketUsers.toLocaleString('en-US')}; objects: up to ${LIMITS.objectUsers.toLocaleString('en-US')})
  --ramp DUR             time to reach them, linearly (default 60s; up to 2h); matchmaking takes ~200-300 joins/s
  --hold DUR             time to hold them after the ramp (default 120s; up to 2h)
  --warmup DUR           start of the hold left out of the measurement window (default 10s)
  --baseline DUR         the nodes' CPU and memory at 0 users, read before the ramp: the base of the per-user costs (default 5s)
  --scrape DUR           how often each node's /metrics is read (default 1s; each scrape costs the node CPU: 10s for dozens of nodes)
  --scenario S           idle | play | mix | objects, or a scenario file (default idle; presets in loadgen/scenarios/)
  --blend idle=80,play=20  profile weights for socket scenarios (mix)
  --input-hz N           inputs per second of playing bots (1-30)
  --decode-sample F      fraction of bots that decode the full state (0-1)
Where:
  --targets T            node URLs (http://127.0.0.1:2567,…) or a cluster file (JSON {nodes, nats, cluster}, or one URL a line)
  --local N              start a local cluster of N backend nodes plus NATS for the run, stop it afterwards (1-${LIMITS.localNodes})
  --stateless            with --local: the nodes in stateless mode, their profiles, XP and leaderboard on the stateless
                         twin (PostgreSQL, Redis and one twin instance per node, started for the run) instead of objects
  --allow-host H         allow a non-loopback target host (repeat for several); loopback only otherwise
  --nats URL             objects scenario: the cluster's NATS; coordinator/worker: the NATS they coordinate over
  --cluster NAME         objects scenario: the cluster name (default from the cluster file, else "local")
NATS credentials and TLS, for the NATS --nats names (the objects scenario: the node role's; coordinator and worker:
the loadgen role's; --local generates its own; see docs/NATS-SECURITY.md):
${natsClientUsage()}
How:
  --workers N            worker processes on this machine (default: enough for ${LIMITS.socketsPerWorker.toLocaleString('en-US')} sockets each)
  --concurrency N        joins (objects: calls) in flight per worker (default 64; objects 2000)
  --timeout DUR          per step: login, matchmake, WebSocket join (default 15s)
  --expect K             coordinator: remote workers to wait for (1-${LIMITS.workers})
  --wait DUR             coordinator: how long to wait for them; worker: for a run (default 60s / 10m)
  --id NAME              worker: its name (default <host>-<pid>)
Output:
  --out DIR              result.json and report.html (default bench-results/loadgen-<time>)
  --json FILE            the summary in the BENCHMARKS format
  --no-progress          no live terminal display (a line every 5 s instead)
  --profile DIR          CPU profiles (.cpuprofile: Chrome DevTools, speedscope) of the generator's workers and, with
                         --local, of every node (then stopped gracefully so they write theirs) into DIR
  -h, --help             this help`;

export const OPTIONS = {
  users: { type: 'string' },
  ramp: { type: 'string' },
  hold: { type: 'string' },
  warmup: { type: 'string' },
  baseline: { type: 'string' },
  scrape: { type: 'string' },
  scenario: { type: 'string' },
  blend: { type: 'string' },
  'input-hz': { type: 'string' },
  'decode-sample': { type: 'string' },
  targets: { type: 'string' },
  local: { type: 'string' },
  stateless: { type: 'boolean' },
  'allow-host': { type: 'string', multiple: true },
  nats: { type: 'string' },
  cluster: { type: 'string' },
  workers: { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  expect: { type: 'string' },
  wait: { type: 'string' },
  id: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'string' },
  'no-progress': { type: 'boolean' },
  profile: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...NATS_CLIENT_OPTIONS,
} as const;

export interface RunOptions {
  users: number;
  rampMs: number;
  holdMs: number;
  warmupMs: number;
  /** How long the nodes are read at 0 users before the ramp starts. */
  baselineMs: number;
  /** How often each node's /metrics is read. */
  scrapeMs: number;
  scenario: Scenario;
  targets: TargetSet | undefined;
  local: number | undefined;
  /** The local cluster's nodes in stateless mode, on a stateless tier started for the run. */
  stateless: boolean;
  allowHosts: string[];
  /** The objects scenario's NATS and cluster name (from flags or the cluster file). */
  objectsNats: string[] | undefined;
  /** The objects scenario's node-role credentials and TLS (file paths, checked); none in coordinator mode. */
  objectsAuth: NatsClientSettings;
  cluster: string;
  workers: number | undefined;
  concurrency: number;
  stepTimeoutMs: number;
  out: string | undefined;
  json: string | undefined;
  progress: boolean;
  /** Where the CPU profiles of the workers (and local nodes) go. */
  profile: string | undefined;
}

export type Command =
  | { mode: 'help' }
  | { mode: 'run'; options: RunOptions }
  | {
      mode: 'coordinator';
      options: RunOptions;
      nats: string;
      /** The loadgen role's credentials for the coordination NATS. */
      natsAuth: NatsClientSettings;
      expect: number;
      waitMs: number;
    }
  | { mode: 'worker'; nats: string; natsAuth: NatsClientSettings; id: string | undefined; waitMs: number };

export function parseCli(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  const mode = first === 'coordinator' || first === 'worker' ? first : 'run';
  const { values, positionals } = parseFlags(mode === 'run' ? argv : rest);
  if (values.help) return { mode: 'help' };
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (see --help)`);
  if (mode === 'worker') return parseWorker(values);
  const options = parseRun(values, mode);
  if (mode === 'run') return { mode, options };
  if (!values.nats) throw new UsageError('coordinator needs --nats URL (the NATS its workers listen on)');
  const expect = parseInteger(values.expect, '--expect', 1, 1, LIMITS.workers);
  if (options.scenario.kind === 'sockets' && options.users / expect > LIMITS.socketsPerWorker) {
    throw new UsageError(
      `${expect} worker(s) would get ${Math.ceil(options.users / expect)} sockets each; the cap is ${LIMITS.socketsPerWorker} per worker`,
    );
  }
  return {
    mode,
    options,
    nats: values.nats,
    natsAuth: parseNatsAuth(values),
    expect,
    waitMs: parseDuration(values.wait, '--wait', 60_000, 1000, 3_600_000),
  };
}

type Values = ReturnType<typeof parseFlags>['values'];

function parseFlags(argv: readonly string[]) {
  return parseStrict(argv, OPTIONS);
}

/** node:util parseArgs, strict, with its refusals as one-line UsageErrors (the bench scripts' flags use it too). */
export function parseStrict<O extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '([^']*)'/.exec(message);
    if (unknown) throw new UsageError(`unknown option ${unknown[1]} (see --help)`);
    throw new UsageError(`${message.split('\n')[0]} (see --help)`);
  }
}

/** Read now (a missing or malformed file is a usage error), kept as paths: forked workers read them again. */
function parseNatsAuth(values: Values): NatsClientSettings {
  const settings = natsClientSettings(values, process.env);
  try {
    loadNatsClientAuth(settings);
  } catch (err) {
    throw err instanceof NatsSettingError ? new UsageError(err.message) : err;
  }
  return settings;
}

const WORKER_FLAGS = ['nats', 'id', 'wait', 'allow-host', ...Object.keys(NATS_CLIENT_SETTINGS)];

function parseWorker(values: Values): Command {
  if (!values.nats) throw new UsageError('worker needs --nats URL (the NATS its coordinator uses)');
  for (const key of Object.keys(values)) {
    if (!WORKER_FLAGS.includes(key))
      throw new UsageError(`worker takes --nats, --id, --wait and the NATS credentials only, not --${key}`);
  }
  if (values.id !== undefined && !/^[\w-]{1,40}$/.test(values.id)) {
    throw new UsageError(`--id must be 1-40 characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(values.id)}`);
  }
  return {
    mode: 'worker',
    nats: values.nats,
    natsAuth: parseNatsAuth(values),
    id: values.id,
    waitMs: parseDuration(values.wait, '--wait', 600_000, 1000, 3_600_000),
  };
}

function parseRun(values: Values, mode: 'run' | 'coordinator'): RunOptions {
  const scenario = parseScenario(values);
  const maxUsers = scenario.kind === 'objects' ? LIMITS.objectUsers : LIMITS.socketUsers;
  if (values.users === undefined) throw new UsageError('--users N is required (see --help)');
  const users = parseInteger(values.users, '--users', 0, 1, maxUsers);
  const rampMs = parseDuration(values.ramp, '--ramp', 60_000, 0, LIMITS.rampMs);
  const holdMs = parseDuration(values.hold, '--hold', 120_000, 1000, LIMITS.holdMs);
  const warmupMs = Math.min(parseDuration(values.warmup, '--warmup', 10_000, 0, LIMITS.holdMs), holdMs / 2);
  const scrapeMs = parseDuration(values.scrape, '--scrape', 1000, 250, 60_000);
  const baselineMs = parseDuration(values.baseline, '--baseline', Math.max(5000, 2 * scrapeMs), 0, 600_000);
  if (baselineMs > 0 && baselineMs < 2 * scrapeMs)
    throw new UsageError(
      `--baseline must be at least two --scrape periods (${(2 * scrapeMs) / 1000} s) to read the nodes at 0 users`,
    );
  const allowHosts = values['allow-host'] ?? [];
  const local = values.local === undefined ? undefined : parseInteger(values.local, '--local', 0, 1, LIMITS.localNodes);
  if (local !== undefined && values.targets)
    throw new UsageError('--local and --targets do not go together: --local starts its own');
  if (local !== undefined && mode === 'coordinator')
    throw new UsageError('--local is for one machine; a coordinator needs --targets');
  if (local === undefined && !values.targets)
    throw new UsageError('say where: --targets <node URLs or cluster file>, or --local N');
  if (values.stateless && local === undefined)
    throw new UsageError('--stateless goes with --local: it starts the stateless tier beside the local nodes');
  if (values.stateless && scenario.kind === 'objects')
    throw new UsageError('--stateless runs the game on the stateless twin; the objects scenario calls objects only');
  const targets = values.targets ? parseTargets(values.targets, allowHosts) : undefined;
  const objectsNats = values.nats && mode === 'run' ? [values.nats] : targets?.nats;
  if (scenario.kind === 'objects' && local === undefined && !objectsNats) {
    throw new UsageError('the objects scenario calls objects over NATS: give --nats URL or a cluster file with "nats"');
  }
  const workers =
    values.workers === undefined ? undefined : parseInteger(values.workers, '--workers', 0, 1, LIMITS.workers);
  if (workers !== undefined && scenario.kind === 'sockets' && users / workers > LIMITS.socketsPerWorker) {
    throw new UsageError(
      `--workers ${workers} would put ${Math.ceil(users / workers)} sockets in a worker; the cap is ${LIMITS.socketsPerWorker} (20,000 open files per process)`,
    );
  }
  return {
    users,
    rampMs,
    holdMs,
    warmupMs,
    baselineMs,
    scrapeMs,
    scenario,
    targets,
    local,
    stateless: values.stateless === true,
    allowHosts,
    objectsNats,
    // A coordinator's --nats-* are for the NATS it coordinates over (the loadgen role), not the cluster's.
    objectsAuth: mode === 'run' ? parseNatsAuth(values) : {},
    cluster: values.cluster ?? targets?.cluster ?? 'local',
    workers,
    concurrency: parseInteger(values.concurrency, '--concurrency', scenario.kind === 'objects' ? 2000 : 64, 1, 5000),
    stepTimeoutMs: parseDuration(values.timeout, '--timeout', 15_000, 100, 120_000),
    out: values.out,
    json: values.json,
    progress: !values['no-progress'],
    profile: profileDir(values.profile, mode),
  };
}

function profileDir(dir: string | undefined, mode: 'run' | 'coordinator'): string | undefined {
  if (dir === undefined) return undefined;
  if (mode === 'coordinator')
    throw new UsageError('--profile is for one machine: a remote worker is profiled on its own');
  if (dir.trim() === '') throw new UsageError('--profile needs a folder');
  return dir;
}

function parseScenario(values: Values): Scenario {
  try {
    let scenario = loadScenario(values.scenario ?? 'idle');
    if (values.blend) scenario = applyBlend(scenario, values.blend);
    const inputHz =
      values['input-hz'] === undefined ? undefined : parseInteger(values['input-hz'], '--input-hz', 0, 1, 30);
    const decode = parseFraction(values['decode-sample'], '--decode-sample');
    if (scenario.kind === 'sockets') {
      scenario = {
        ...scenario,
        bots: scenario.bots.map((b) => ({
          ...b,
          ...(inputHz !== undefined && b.inputHz > 0 ? { inputHz } : {}),
          ...(decode !== undefined ? { decodeSample: decode } : {}),
        })),
      };
    } else if (inputHz !== undefined || decode !== undefined) {
      throw new UsageError('--input-hz and --decode-sample apply to socket scenarios, not objects');
    }
    return scenario;
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
}
