// --local N: a cluster of N real backend nodes (the game's rooms) on a fresh nats-server for the run, started by
// infra's cluster runner as `npm run cluster` starts one: NATS with authentication and generated nkeys, a guest-token
// secret generated for the run (or RESIDENT_AUTH_SECRET), the nodes' default limits except the per-address ones
// below. Their output goes to a log file, not into the live progress.

import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type StatelessTier, startStatelessTier } from '@resident/backend/baselines/stateless';
import { type ClusterOptions, clusterSecret, LocalCluster as InfraCluster, printerFor } from '@resident/infra/cluster';
import { cpuSeconds, freePorts, type MachineLimits, type Machines, treeCpuSeconds } from '@resident/infra/process';
import { loadNatsClientAuth, type NatsClientSettings } from '@resident/shared/nats';
import { BOTS_PER_SOURCE } from '../workers/plan.ts';

export interface LocalCluster {
  nodes: string[];
  natsUrls: string[];
  cluster: string;
  /** The node role's credentials, for the objects scenario's runtime clients. */
  natsAuth: NatsClientSettings;
  /** What the cluster runs with, for the run's output: secret, raised limits, where the node logs are. */
  settings: string[];
  /** The nodes' machines (CPU quota, open files), when asked for. */
  machines: Machines | undefined;
  /** The processes, for their CPU time: each node, each NATS server (with its monitoring URL). */
  processes: { nodes: (number | undefined)[]; nats: { pid: number; monitorUrl: string }[] };
  /** With `stateless`: the twin's instances, PostgreSQL and Redis the nodes use. */
  stateless: StatelessTier | undefined;
  stop(): Promise<void>;
}

/**
 * Every bot comes from a 127.x.y.z address shared by up to BOTS_PER_SOURCE bots, where the defaults expect one player
 * per address (5 logins/s, 64 seats, 60 new rooms a minute): per address, allow each of those bots one login at once
 * (the burst is 10x the rate), one seat and one more while it changes rooms, and one new room a minute.
 */
export const LOCAL_LIMITS = {
  'login-rate': Math.ceil(BOTS_PER_SOURCE / 10),
  'seats-per-address': 2 * BOTS_PER_SOURCE,
  'rooms-per-address': BOTS_PER_SOURCE,
} as const;

const CLUSTER_NAME = 'loadgen';

export interface LocalClusterOptions {
  /** Each node its own machine: a CPU quota and an open-file limit of its own. */
  readonly machines?: MachineLimits | undefined;
  /** Node flags after the raised limits (e.g. --arena-size). */
  readonly nodeArgs?: readonly string[];
  /** Node's own options for the nodes (--cpu-prof): they are then stopped gracefully, so that they write at exit. */
  readonly nodeExecArgv?: readonly string[] | undefined;
  /** The nodes in stateless mode, on a stateless tier (one twin instance per node) started with them. */
  readonly stateless?: boolean;
  /** JetStream fsyncs every write before its ack (default: on its own interval). */
  readonly jetstreamSyncAlways?: boolean;
}

export async function startLocalCluster(count: number, opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const { machines } = opts;
  const logFile = join(mkdtempSync(join(tmpdir(), 'resident-loadgen-')), 'cluster.log');
  const log = createWriteStream(logFile);
  const ports = await freePorts(count);
  const secret = clusterSecret();
  const stateless = opts.stateless
    ? await startStatelessTier({ instances: count, secret, onError: (name, line) => log.write(`[${name}] ${line}\n`) })
    : undefined;
  const options: ClusterOptions = {
    nodes: count,
    nats: 1,
    basePort: ports[0]!,
    ports,
    cluster: CLUSTER_NAME,
    nodeArgs: [
      ...Object.entries(LOCAL_LIMITS).flatMap(([flag, value]) => [`--${flag}`, String(value)]),
      ...(opts.nodeArgs ?? []),
      ...(stateless ? ['--stateless-api', stateless.urls.join(',')] : []),
    ],
    secret,
    ...(opts.jetstreamSyncAlways ? { jetstreamSyncAlways: true } : {}),
    ...(machines ? { machines } : {}),
    ...(opts.nodeExecArgv ? { nodeExecArgv: opts.nodeExecArgv } : {}),
  };
  // Node output to the file; what goes to stderr (the runner's alerts: a node that died) must not go unseen.
  const cluster = new InfraCluster(options, printerFor(options, log, process.stderr));
  try {
    await cluster.start();
  } catch (err) {
    await cluster.kill();
    await stateless?.close();
    log.end();
    throw err;
  }
  const seed = cluster.seedFiles!.node;
  return {
    nodes: cluster.nodes.map((n) => n.url),
    natsUrls: cluster.servers.map((s) => s.url),
    cluster: CLUSTER_NAME,
    natsAuth: { 'nats-nkey': { value: seed, name: 'the local cluster node nkey' } },
    settings: [
      ...describe(logFile),
      ...(machines ? [describeMachines(machines)] : []),
      ...(stateless ? [describeStateless(stateless)] : []),
    ],
    machines: cluster.machines,
    processes: {
      nodes: cluster.nodes.map((n) => n.child.pid),
      nats: cluster.servers.map((s) => ({ pid: s.pid, monitorUrl: s.monitorUrl })),
    },
    stateless,
    // Killed, not drained: the cluster's state is thrown away with its NATS data at the end of the run anyway.
    // Nodes given their own options (profiling) are stopped in order: they write their profiles as they exit.
    stop: async () => {
      if (opts.nodeExecArgv) await cluster.stop();
      else await cluster.kill();
      await stateless?.close();
      log.end();
    },
  };
}

function describeStateless(tier: StatelessTier): string {
  return `stateless mode: the nodes' profiles, XP and leaderboard on the stateless twin (${tier.urls.length} instance(s) ${tier.urls.join(', ')}, PostgreSQL with synchronous commit, redis-server), not on objects`;
}

/**
 * The stateless tier's CPU from now on: the nodes' own CPU is in the run's figures (from their /metrics), the twin's
 * instances, PostgreSQL and Redis are not, so the run says what they took beside it. Call the result at the end.
 */
export function watchTierCpu(tier: StatelessTier): () => string {
  const read = () =>
    tier.processes.map((p) => ({ name: p.name, s: (p.tree ? treeCpuSeconds(p.pid) : cpuSeconds(p.pid)) ?? 0 }));
  const started = { at: performance.now(), cpu: read() };
  return () => {
    const seconds = (performance.now() - started.at) / 1000;
    const used = read().map((p, i) => ({ name: p.name, pct: (100 * (p.s - started.cpu[i]!.s)) / seconds }));
    const total = used.reduce((sum, p) => sum + p.pct, 0);
    const each = used.map((p) => `${p.name} ${p.pct.toFixed(1)} %`).join(', ');
    return `stateless tier CPU while the bots ran: ${total.toFixed(1)} % of a core (${each}); not in the nodes' figures`;
  };
}

function describeMachines({ cpu, fds }: MachineLimits): string {
  const quota = cpu === undefined ? 'no CPU quota' : `a CPU quota of ${cpu} core (a cgroup of its own)`;
  return `local cluster nodes as machines: each node ${quota}, ${fds === undefined ? 'open files inherited' : `${fds} open files`}; NATS and the generator outside the quotas`;
}

function describe(logFile: string): string[] {
  const secret = process.env.RESIDENT_AUTH_SECRET ? 'from RESIDENT_AUTH_SECRET' : 'generated for this run';
  const l = LOCAL_LIMITS;
  return [
    `local cluster: NATS with authentication (generated nkeys); guest-token secret ${secret}`,
    `local cluster limits raised because every bot comes from a 127.x address shared by up to ${BOTS_PER_SOURCE} bots: ` +
      `per address ${l['login-rate']} logins/s (burst ${10 * l['login-rate']}), ${l['seats-per-address']} seats, ` +
      `${l['rooms-per-address']} new rooms a minute; every other limit at the node's default`,
    `local cluster node logs: ${logFile}`,
  ];
}

/**
 * The cluster name behind a NATS: the runtime keeps its members in the KV bucket `rsd_<cluster>_members`. Listing
 * streams is outside the node role, so on a NATS with permissions this fails and the cluster must be named.
 */
export async function discoverCluster(natsUrls: string[], auth: NatsClientSettings): Promise<string> {
  const nc = await connect({ servers: natsUrls, timeout: 5000, ...loadNatsClientAuth(auth).options });
  try {
    const names: string[] = [];
    for await (const stream of (await jetstreamManager(nc)).streams.names()) {
      const m = /^KV_rsd_(.+)_members$/.exec(stream);
      if (m) names.push(m[1]!);
    }
    if (names.length !== 1) {
      throw new Error(
        `NATS ${natsUrls.join(',')} holds ${names.length ? `clusters ${names.join(', ')}` : 'no cluster'}: name one with --cluster`,
      );
    }
    return names[0]!;
  } finally {
    await nc.close();
  }
}
