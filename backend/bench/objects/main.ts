// npm run bench:objects -- [--json FILE] [--seconds N] [--activations N] [--lmdb-activations N] [--idle-objects N]
//   [--failover-objects N]
// One nats-server and two runtime processes: this one (the caller) and a host; baselines are measured in the same run.
// State writes get two nats-servers of their own (fsync on every write, and interval sync).
// The counts size the phases (defaults 20,000, 100,000, 100,000 and 10,000); the tests run it with small ones.

import uWS from 'uWebSockets.js';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Kvm } from '@nats-io/kv';
import {
  type BenchResult,
  type Figure,
  machineInfo,
  natsServerVersion,
  percentile,
  report,
  round,
  withBaseline,
} from '@resident/shared/bench';
import pino from 'pino';
import { ErrorCode, ObjectRuntime, ResidentError } from '../../src/objects/index.ts';
import { connectNats, LmdbStateStore } from '../../src/objects/internal.ts';
import { ALL, Counter, Echo } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';
import { keysOn, pool } from '../../testing/support.ts';
import { closedLoop, openLoop } from './load.ts';
import { stateWrites } from './state-writes.ts';

const { values: flags } = parseArgs({
  options: {
    json: { type: 'string' },
    seconds: { type: 'string', default: '4' },
    activations: { type: 'string', default: '20000' },
    'lmdb-activations': { type: 'string', default: '100000' },
    'idle-objects': { type: 'string', default: '100000' },
    'failover-objects': { type: 'string', default: '10000' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (flags.help) {
  process.stdout.write(`npm run bench:objects -- [options]
  --json FILE             also write the result (benchmark JSON format) to FILE
  --seconds N             length of each timed phase (default 4)
  --activations N         objects activated cold from JetStream KV (default 20000)
  --lmdb-activations N    objects activated cold from LMDB, embedded (default 100000)
  --idle-objects N        idle activations whose memory is measured (default 100000)
  --failover-objects N    objects on the node that is killed (default 10000)
`);
  process.exit(0);
}
const seconds = Number(flags.seconds);
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got ${flags.seconds}`);
const MS = seconds * 1000;
const ACTIVATIONS = count('activations');
const LMDB_ACTIVATIONS = count('lmdb-activations');
const IDLE_OBJECTS = count('idle-objects');
const FAILOVER_OBJECTS = count('failover-objects');
const CALLERS = 256;
const log = pino({ level: 'warn' });
const figures: Figure[] = [];
const progress = (what: string) => process.stderr.write(`… ${what}\n`);

function count(name: 'activations' | 'lmdb-activations' | 'idle-objects' | 'failover-objects'): number {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${flags[name]}`);
  return n;
}

async function crossNode(cluster: RuntimeCluster): Promise<void> {
  const nc = await connectNats(cluster.nats.urls, 'bench-caller');
  const payload = new Uint8Array(8);
  progress('baseline: nats.js request() to the host process');
  const base = await closedLoop(CALLERS, MS, () => nc.request('bench.echo', payload, { timeout: 5000 }));
  const client = await cluster.client({ nodeId: 'caller' });
  const refs = Array.from({ length: CALLERS }, (_, i) => client.get(Echo, `p${i}`));
  await Promise.all(refs.map((r) => r.ping(0)));
  progress('cross-node calls, 256 callers');
  const calls = await closedLoop(CALLERS, MS, (w, i) => refs[w]!.ping(i));
  figures.push(
    withBaseline({
      name: 'cross_node_calls_per_s',
      value: round(calls.perSecond),
      unit: 'calls/s',
      baseline: { name: 'nats_request_per_s', value: round(base.perSecond) },
      target: '>= 5x baseline',
    }),
  );
  progress('cross-node p99 at half that throughput (open loop)');
  const half = await openLoop(calls.perSecond / 2, MS, (i) => refs[i % CALLERS]!.ping(i));
  figures.push({
    name: 'cross_node_p99_ms_at_half_load',
    value: round(percentile(half.latencies, 99), 2),
    unit: 'ms',
    target: '<= 5 ms',
    note: `${round(calls.perSecond / 2)} calls/s offered, p50 ${round(percentile(half.latencies, 50), 2)} ms, ${half.errors} errors`,
  });
  await durable(nc, client);
  await nc.close();
}

async function durable(nc: Awaited<ReturnType<typeof connectNats>>, client: ObjectRuntime): Promise<void> {
  const kv = await new Kvm(nc).create('bench_raw', { history: 1 });
  const value = new Uint8Array(16);
  progress('baseline: raw JetStream KV put, 256 concurrent');
  const puts = await closedLoop(CALLERS, MS, (w, i) => kv.put(`k${w}.${i}`, value));
  const hot = Array.from({ length: 32 }, (_, i) => client.get(Counter, `hot${i}`));
  progress('durable mutations: 256 callers over 32 objects');
  const grouped = await closedLoop(CALLERS, MS, (w) => hot[w % hot.length]!.add(1));
  figures.push(
    withBaseline({
      name: 'durable_mutations_per_s',
      value: round(grouped.perSecond),
      unit: 'mutations/s',
      baseline: { name: 'kv_put_per_s', value: round(puts.perSecond) },
      target: '>= 3x baseline',
      note: '256 callers over 32 objects (8 per object): acknowledged only after the commit that holds them is stored',
    }),
  );
  progress('durable mutations: 256 callers, one object each');
  const distinct = await closedLoop(CALLERS, MS, (w) => client.get(Counter, `own${w}`).add(1));
  figures.push(
    withBaseline({
      name: 'durable_mutations_per_s_one_caller_per_object',
      value: round(distinct.perSecond),
      unit: 'mutations/s',
      baseline: { name: 'kv_put_per_s', value: round(puts.perSecond) },
      note: 'no two callers share an object, so nothing can be grouped: every mutation is its own KV write',
    }),
  );
}

async function activations(cluster: RuntimeCluster): Promise<void> {
  const N = ACTIVATIONS;
  const client = await cluster.client({ nodeId: 'activator' });
  const keys = Array.from({ length: N }, (_, i) => `cold${i}`);
  progress(`creating ${N} objects`);
  await pool(keys, CALLERS, async (k) => void (await client.get(Counter, k).add(1)));
  await cluster.node('node1').kill();
  await cluster.node('node1').start();
  progress(`cold activations of ${N} objects from JetStream KV`);
  const t0 = performance.now();
  await pool(keys, CALLERS, async (k) => void (await client.get(Counter, k, { timeoutMs: 30_000 }).get()));
  const kvRate = N / ((performance.now() - t0) / 1000);
  figures.push({
    name: 'activations_per_s',
    value: round(kvRate),
    unit: 'activations/s',
    target: '>= 50000',
    note: `${N} objects, cross-node, each read once after a host restart (state from JetStream KV)`,
  });
  figures.push({
    name: 'activations_per_s_embedded_lmdb',
    value: round(await lmdbActivations()),
    unit: 'activations/s',
    note: `embedded node, LMDB store, caller on the same node, ${LMDB_ACTIVATIONS} objects`,
  });
}

async function lmdbActivations(): Promise<number> {
  const N = LMDB_ACTIVATIONS;
  const dir = await mkdtemp(join(tmpdir(), 'resident-bench-'));
  try {
    const keys = Array.from({ length: N }, (_, i) => `c${i}`);
    const store = await LmdbStateStore.open(dir);
    const writer = await ObjectRuntime.start({ classes: ALL, store, log });
    progress(`creating ${N} objects in LMDB`);
    await pool(keys, CALLERS, async (k) => void (await writer.get(Counter, k).add(1)));
    await writer.stop();
    const reader = await ObjectRuntime.start({ classes: ALL, store, log });
    progress(`cold activations of ${N} objects from LMDB`);
    const t0 = performance.now();
    await pool(keys, CALLERS, async (k) => void (await reader.get(Counter, k).get()));
    const rate = N / ((performance.now() - t0) / 1000);
    await reader.stop({ drain: false });
    await store.close();
    return rate;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function localCalls(): Promise<void> {
  const rt = await ObjectRuntime.start({ classes: ALL, log });
  const refs = Array.from({ length: CALLERS }, (_, i) => rt.get(Echo, `l${i}`));
  await Promise.all(refs.map((r) => r.ping(0)));
  progress('local calls, 256 callers, one node');
  const local = await closedLoop(CALLERS, MS, (w, i) => refs[w]!.ping(i));
  figures.push({
    name: 'local_calls_per_s',
    value: round(local.perSecond),
    unit: 'calls/s',
    target: '>= 1000000',
    note: 'volatile object, caller on the same node (embedded)',
  });
  await rt.stop({ drain: false });
}

async function idleMemory(): Promise<void> {
  progress(`memory of ${IDLE_OBJECTS} idle activations`);
  const script = fileURLToPath(new URL('./idle-memory.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--expose-gc',
    '--import',
    'tsx',
    script,
    String(IDLE_OBJECTS),
  ]);
  const m = JSON.parse(stdout) as { perActivation: number; stateBytes: number };
  figures.push({
    name: 'bytes_per_idle_activation',
    value: round(m.perActivation - m.stateBytes),
    unit: 'bytes',
    target: '<= 1024 bytes',
    note: `heap per activation ${round(m.perActivation)} B minus its state alone ${round(m.stateBytes)} B, over ${IDLE_OBJECTS} objects`,
  });
}

async function failover(): Promise<void> {
  const cluster = await startRuntimeCluster({ nodes: 2 });
  try {
    const client = await cluster.client({ nodeId: 'failover-caller' });
    const keys = keysOn(client, Counter, 'node1', FAILOVER_OBJECTS, 'f');
    progress(`failover: ${FAILOVER_OBJECTS} objects on node1, then kill -9`);
    await pool(keys, 512, async (k) => void (await client.get(Counter, k).add(1)));
    const killedAt = performance.now();
    await cluster.node('node1').kill();
    const values = new Map<string, number>();
    await pool(keys, 512, async (k) => {
      values.set(k, await addUntilAcked(client, k));
    });
    const failoverS = (performance.now() - killedAt) / 1000;
    const lost = keys.filter((k) => (values.get(k) ?? 0) < 2).length;
    figures.push({
      name: 'failover_s',
      value: round(failoverS, 2),
      unit: 's',
      target: '<= 3 s',
      note: `2 host processes; kill -9 the one hosting ${FAILOVER_OBJECTS} objects; until every object has acknowledged a new call`,
    });
    figures.push({ name: 'failover_lost_writes', value: lost, unit: 'writes', target: '0' });
  } finally {
    await cluster.close();
  }
}

async function addUntilAcked(client: ObjectRuntime, key: string): Promise<number> {
  for (;;) {
    try {
      return await client.get(Counter, key, { timeoutMs: 2000 }).add(1);
    } catch (err) {
      if (!(err instanceof ResidentError) || err.code === ErrorCode.Application) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

async function main(): Promise<void> {
  const cluster = await startRuntimeCluster({ nodes: 1, echoSubject: 'bench.echo' });
  try {
    await crossNode(cluster);
    await activations(cluster);
  } finally {
    await cluster.close();
  }
  figures.push(...(await stateWrites(CALLERS, MS, progress)));
  await localCalls();
  await idleMemory();
  await failover();
  const result: BenchResult = {
    bench: 'objects',
    when: new Date().toISOString(),
    machine: machineInfo({ uws: (uWS as { __build?: string }).__build ?? 'unknown', nats: natsServerVersion() }),
    command: `npm run bench:objects -- ${process.argv.slice(2).join(' ')}`.trim(),
    figures,
  };
  report(result, flags.json);
}

await main();
process.exit(0);
