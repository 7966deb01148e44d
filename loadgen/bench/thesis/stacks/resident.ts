// Resident's side: N game nodes on one NATS (JetStream holds the objects' state), exactly as `loadgen --local`
// starts them. Clients are object-runtime members that host nothing, as a room node calls the objects it does
// not host: every call goes over NATS to the node that owns the player's object, which answers a write only
// once its state is stored. Each client reads the leaderboard's top as a node does (cachedTop).
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { cachedTop, LeaderboardShard, Player, submitScore } from '@resident/backend/game';
import { ObjectRuntime } from '@resident/backend/objects';
import { loadNatsClientAuth, nodeConnectOptions } from '@resident/shared/nats';
import { pino } from 'pino';
import { startLocalCluster } from '../../../src/local/cluster.ts';
import { readMetric } from '../../../src/metrics/scrape.ts';
import { type Op, playerId, playerName } from '../workload.ts';
import type { Stack, StackClient, StackCounters } from './stack.ts';

/** `syncAlways`: JetStream fsyncs each write before the ack, level with PostgreSQL's synchronous commit. */
export async function startResidentStack(nodes: number, syncAlways: boolean): Promise<Stack> {
  const cluster = await startLocalCluster(nodes, { jetstreamSyncAlways: syncAlways });
  const runtimes: { nc: NatsConnection; rt: ObjectRuntime }[] = [];
  const processes = [
    ...cluster.processes.nodes.map((pid, i) => ({ name: `node ${i + 1}`, tier: 'app' as const, pid })),
    ...cluster.processes.nats.map((s, i) => ({ name: `nats ${i + 1}`, tier: 'infra' as const, pid: s.pid })),
  ];
  const client = async (i: number): Promise<StackClient> => {
    const options = nodeConnectOptions(cluster.cluster, loadNatsClientAuth(cluster.natsAuth));
    const nc = await connect({ servers: cluster.natsUrls, name: `thesis-${i}`, noAsyncTraces: true, ...options });
    const rt = await ObjectRuntime.start({
      classes: [Player, LeaderboardShard],
      role: 'client',
      nodeId: `thesis-client-${process.pid}-${i}`,
      nats: { connection: nc, cluster: cluster.cluster },
      log: pino({ level: 'warn' }),
    });
    runtimes.push({ nc, rt });
    return {
      call: (op) => callResident(rt, op),
      xp: async (player) => (await rt.get(Player, playerId(player)).profile()).xp,
    };
  };
  return {
    name: 'resident',
    description: [
      `Resident: ${nodes} game node processes and 1 nats-server (JetStream state, ${syncAlways ? 'fsync before each ack: sync_interval always' : 'synced on its interval'}); clients are object-runtime members`,
      ...cluster.settings,
    ],
    processes,
    clients: (count) => Promise.all(Array.from({ length: count }, (_, i) => client(runtimes.length + i))),
    counters: async () => ({
      ...(await natsCounters(cluster.processes.nats.map((s) => s.monitorUrl))),
      ...(await stateWriteCounters(cluster.nodes)),
    }),
    async close() {
      for (const { nc, rt } of runtimes.splice(0)) {
        await rt.stop({ drain: false });
        await nc.close();
      }
      await cluster.stop();
    },
  };
}

function callResident(rt: ObjectRuntime, op: Op): Promise<unknown> {
  // The game's read of the top: merged from the shards at most once a second per node (its HTTP route and rooms
  // share it). Uncached, 56 reads a second of 8 shards × 100 entries took the p99 at 2,000 ops/s to 334 ms.
  if (op.kind === 'top') return cachedTop(rt);
  const id = playerId(op.player);
  const player = rt.get(Player, id);
  switch (op.kind) {
    case 'enter':
      return player.enter(playerName(op.player));
    case 'profile':
      return player.profile();
    case 'grant':
      return player.grant(op.xp, op.eats);
    case 'recordGame':
      return player.recordGame({ mass: op.mass, eats: op.eats, xp: op.xp });
    case 'submit':
      return submitScore(rt, { id, name: playerName(op.player), bestMass: op.bestMass });
  }
}

/** State writes and batches the nodes sent so far (their /metrics): how much one fsync stored. */
async function stateWriteCounters(nodes: string[]): Promise<StackCounters> {
  let stateWrites = 0;
  let stateBatches = 0;
  for (const node of nodes) {
    const text = await (await fetch(`${node}/metrics`)).text();
    for (const how of ['batched', 'single', 'resent']) {
      stateWrites += readMetric(text, 'resident_state_writes_total', `how="${how}"`) ?? 0;
    }
    stateBatches += readMetric(text, 'resident_state_write_batches_total') ?? 0;
  }
  return { stateWrites, stateBatches };
}

/** Messages the NATS servers received from clients so far (their monitoring endpoint's /varz). */
async function natsCounters(monitorUrls: string[]): Promise<StackCounters> {
  let natsMessages = 0;
  for (const url of monitorUrls) {
    const varz = (await (await fetch(`${url}/varz`)).json()) as { in_msgs?: number };
    natsMessages += varz.in_msgs ?? 0;
  }
  return { natsMessages };
}
