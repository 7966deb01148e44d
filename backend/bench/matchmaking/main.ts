// npm run bench:matchmaking -- [--json FILE] [--clients N] [--concurrency N] [--warmup N]
// Colyseus joinOrCreate through 3 backend node processes, first on NATS (NatsPresence + NatsDriver, one nats-server),
// then on Redis (RedisPresence + RedisDriver, one redis-server); the Redis run is the baseline. Every process,
// brokers and the clients included, shares this machine.
import uWS from 'uWebSockets.js';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { cpuDelta, cpuSnapshot } from '@resident/infra/process';
import { type BenchResult, machineInfo, natsServerVersion, percentile, report, round } from '@resident/shared/bench';
import { checkRooms, type RoomCheck } from './checks.ts';
import { type Backend, MatchmakingCluster } from './cluster.ts';
import { type JoinRun, joinAll, leaveAll, roomSizes } from './load.ts';
import { detailsOf, figures, type Measured, printDetails, spreadOf } from './report.ts';
import { BENCH_ROOM, BENCH_ROOM_SIZE } from './room.ts';
import type { Tally } from './tally.ts';

const { values: flags } = parseArgs({
  options: {
    json: { type: 'string' },
    clients: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '50' },
  },
  strict: true,
});
const CLIENTS = positive('clients');
const CONCURRENCY = positive('concurrency');
const WARMUP = positive('warmup');
const NODES = 3;
const JOIN_TIMEOUT_MS = 30_000;
const progress = (what: string) => process.stderr.write(`… ${what}\n`);

function positive(name: 'clients' | 'concurrency' | 'warmup'): number {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${flags[name]}`);
  return n;
}

async function measure(backend: Backend): Promise<Measured> {
  progress(`${backend}: starting the broker and ${NODES} node processes`);
  const t0 = performance.now();
  const cluster = await MatchmakingCluster.start({ backend, nodes: NODES });
  progress(`${backend}: ${NODES} nodes ready in ${round((performance.now() - t0) / 1000, 1)} s`);
  try {
    await warmUp(cluster);
    const phase = await joinPhase(cluster);
    return { ...phase, ...(await verify(cluster, phase.run)) };
  } finally {
    await cluster.close();
  }
}

/** The measured joins, with what the processes and the matchmakers did meanwhile. */
async function joinPhase(cluster: MatchmakingCluster) {
  const { backend } = cluster;
  const tallyBefore = await cluster.tally();
  const pids = cluster.pids().set('bench (clients)', process.pid);
  progress(`${backend}: ${CLIENTS} joinOrCreate, ${CONCURRENCY} in flight, round-robin over ${NODES} nodes`);
  const cpuBefore = cpuSnapshot(pids);
  const run = await joinAll({
    endpoints: cluster.endpoints,
    room: BENCH_ROOM,
    clients: CLIENTS,
    concurrency: CONCURRENCY,
    timeoutMs: JOIN_TIMEOUT_MS,
    progress: (done) => progress(`${backend}: ${done}/${CLIENTS} joins settled`),
  });
  const cpu = cpuDelta(cpuBefore, cpuSnapshot(pids));
  return {
    run,
    backend,
    clients: CLIENTS,
    joinsPerS: run.joined.length / run.seconds,
    p50: percentile(run.latencies, 50),
    p99: percentile(run.latencies, 99),
    spread: spreadOf(run.latencies),
    joined: run.joined.length,
    seconds: run.seconds,
    errorCount: run.errorCount,
    errors: run.errors,
    cpu,
    tally: diffTally(tallyBefore, await cluster.tally()),
  };
}

/** Rooms and listings as the clients left them; then every client leaves, and their listings must go too. */
async function verify(cluster: MatchmakingCluster, run: JoinRun) {
  const check = await settledCheck(cluster, roomSizes(run.joined));
  progress(`${cluster.backend}: ${run.joined.length} joined in ${round(run.seconds, 2)} s; every client leaves`);
  const leaveFailures = await leaveAll(run.joined, 200);
  const staleListings = await listingsLeft(cluster, 5000);
  const logs = cluster.nodeLogs();
  return { check, leaveFailures, staleListings, nodeLogLines: logs.count, nodeLogs: logs.byMessage };
}

/** A few joins through every node (code paths, JIT, connections), then all leave and their rooms go away. */
async function warmUp(cluster: MatchmakingCluster): Promise<void> {
  progress(`${cluster.backend}: warm-up, ${WARMUP} joins (not measured)`);
  const run = await joinAll({
    endpoints: cluster.endpoints,
    room: BENCH_ROOM,
    clients: WARMUP,
    concurrency: Math.min(CONCURRENCY, WARMUP),
    timeoutMs: JOIN_TIMEOUT_MS,
  });
  if (run.joined.length === 0) throw new Error(`warm-up: no join succeeded: ${[...run.errors.keys()].join('; ')}`);
  await leaveAll(run.joined, WARMUP);
  const left = await listingsLeft(cluster, 5000);
  if (left > 0) progress(`${cluster.backend}: ${left} warm-up listings still there after 5 s`);
}

function diffTally(before: Tally, after: Tally): Tally {
  const out: Tally = {};
  for (const [kind, n] of Object.entries(after)) if (n !== (before[kind] ?? 0)) out[kind] = n - (before[kind] ?? 0);
  return out;
}

/** Listings are written before a seat is granted, so they should agree at once; give them up to 3 s anyway. */
async function settledCheck(cluster: MatchmakingCluster, sizes: Map<string, number>): Promise<RoomCheck> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const check = checkRooms(sizes, await cluster.listings(), BENCH_ROOM_SIZE);
    if (check.listingIssues.length === 0 || Date.now() > deadline) return check;
    await sleep(250);
  }
}

async function listingsLeft(cluster: MatchmakingCluster, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = (await cluster.listings()).length;
    if (left === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

function redisServerVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const machine = machineInfo({
    uws: (uWS as { __build?: string }).__build ?? 'unknown',
    nats: natsServerVersion(),
    redis: redisServerVersion(),
  });
  console.log(`machine: ${JSON.stringify(machine)}`);
  console.log(
    `load: ${CLIENTS} clients, joinOrCreate('${BENCH_ROOM}') into rooms of ${BENCH_ROOM_SIZE}, ${CONCURRENCY} in flight, ` +
      `round-robin over ${NODES} node processes; ${WARMUP} warm-up joins first; all processes share this machine`,
  );
  const nats = await measure('nats');
  const redis = await measure('redis');
  for (const m of [nats, redis]) printDetails(m);
  if (nats.joined === 0 || redis.joined === 0) throw new Error('no join succeeded on one backend: nothing to compare');
  const result: BenchResult = {
    bench: 'matchmaking',
    when: new Date().toISOString(),
    machine,
    command: `npm run bench:matchmaking -- ${process.argv.slice(2).join(' ')}`.trim(),
    target: 'NATS >= 2x Redis joins/s, p99 no worse',
    load: { clients: CLIENTS, roomSize: BENCH_ROOM_SIZE, concurrency: CONCURRENCY, nodes: NODES, warmup: WARMUP },
    figures: figures(nats, redis),
    details: { nats: detailsOf(nats), redis: detailsOf(redis) },
  };
  report(result, flags.json);
}

await main();
process.exit(0);
