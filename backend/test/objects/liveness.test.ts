// Liveness by design: heartbeats go over core NATS, so a node whose JetStream writes stall or queue is not declared
// dead while it is alive; a node that really stops (killed, paused) is, and its shards move. Forged and replayed
// heartbeats are dropped and counted. Membership changes and shard moves are logged with their reasons and timings.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { type MemberInfo, ObjectRuntime } from '../../src/objects/index.ts';
import { beatSubject, connectNats, internals, MemberEntryCodec } from '../../src/objects/internal.ts';
import { ALL, Counter, Echo } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';
import { droppedIn, TEST_MEMBERSHIP_KEY, waitFor } from '../../testing/support.ts';

type Line = Record<string, unknown>;

const TIMING = { heartbeatMs: 200, suspectMs: 1000, deadMs: 1500 };

let cluster: RuntimeCluster;
let raw: NatsConnection;
let client: ObjectRuntime;
/** A host in this process, so its log lines can be read. */
let local: ObjectRuntime;
let localNc: NatsConnection;
const lines: Line[] = [];

function capturedLog() {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

before(async () => {
  cluster = await startRuntimeCluster({ nodes: 2, runtime: TIMING });
  raw = await connect({ servers: cluster.nats.urls });
  localNc = await connectNats(cluster.nats.urls, 'local');
  local = await ObjectRuntime.start({
    classes: ALL,
    nodeId: 'local',
    nats: { connection: localNc, cluster: cluster.name, membershipKey: TEST_MEMBERSHIP_KEY },
    log: capturedLog(),
    ...TIMING,
  });
  client = await cluster.client();
});
after(async () => {
  await local?.stop({ drain: false });
  await localNc?.close();
  await raw?.close();
  await cluster?.close();
});

function counted(text: string, name: string, label: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${label}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** How often each of node1, node2 and `local` declared a member dead, and lost a shard. */
async function deathsAndLosses(): Promise<number[]> {
  const texts = [
    ...(await Promise.all(['node1', 'node2'].map((n) => cluster.metrics(n)))),
    await local.metricsRegistry.metrics(),
  ];
  return texts.flatMap((t) => [
    counted(t, 'resident_membership_changes_total', 'change="dead"'),
    counted(t, 'resident_shard_moves_total', 'kind="lost"'),
  ]);
}

/** Members that went missing from the client's view, as ids. */
function watchMissing(): string[] {
  const incarnations = new Map([...client.membership.alive()].map(([id, m]) => [id, m.incarnation]));
  const missing: string[] = [];
  client.membership.onChange(() => {
    for (const [id, inc] of incarnations) if (!internals(client).membership.isAlive(id, inc)) missing.push(id);
  });
  return missing;
}

/** Big puts into the state bucket from another connection, pipelined, until `stop()`: a JetStream backlog. */
function floodState(): { stop: () => Promise<number> } {
  let running = true;
  let puts = 0;
  const done = (async () => {
    const kv = await new Kvm(raw).open(`rsd_${cluster.name}_state`);
    const big = randomBytes(256 * 1024);
    while (running) {
      const batch = Array.from({ length: 8 }, (_, i) => kv.put(`flood.${i}`, big).then(() => puts++));
      await Promise.all(batch).catch(() => undefined); // a put the server refused still loaded it
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return puts;
    },
  };
}

test('every member beats on the same wall-clock slots, so a member reads all the beats in one wake-up', async () => {
  const phases: number[] = [];
  const sub = raw.subscribe(beatSubject(cluster.name, '*'), {
    callback: () => {
      phases.push(Date.now() % TIMING.heartbeatMs);
    },
  });
  await waitFor(() => phases.length >= 60, 10_000, 'beats of node1, node2 and local');
  sub.unsubscribe();
  // Beats sent at slot boundaries arrive just after one; spread at random, only a fifth would land in the first 40 ms.
  const early = phases.filter((p) => p < 40).length;
  assert.ok(
    early >= 0.8 * phases.length,
    `${early} of ${phases.length} beats within 40 ms of a slot: ${phases.join(' ')}`,
  );
});

test('a node whose JetStream writes stall and queue is not declared dead while its heartbeats flow', async () => {
  const jsm = await jetstreamManager(raw);
  const stream = `KV_rsd_${cluster.name}_members`;
  const config = (await jsm.streams.info(stream)).config;
  const missing = watchMissing();
  const before = await deathsAndLosses();
  const flood = floodState();
  // The members bucket refuses every write (no message fits), as a JetStream too busy to take a heartbeat never
  // answers one: the old KV heartbeats lapsed here and the node was declared dead with calls in flight.
  await jsm.streams.update(stream, { ...config, max_msg_size: 1 });
  const members = await new Kvm(raw).open(`rsd_${cluster.name}_members`);
  await assert.rejects(members.put('blocked', 'xx'), 'the members bucket takes no write');
  const keys = Array.from({ length: 40 }, (_, i) => `busy${i}`);
  const deadline = performance.now() + 3 * TIMING.deadMs;
  let rounds = 0;
  try {
    while (performance.now() < deadline) {
      await Promise.all(keys.map((k) => client.get(Counter, k, { timeoutMs: 30_000 }).add(1)));
      rounds++;
    }
  } finally {
    await jsm.streams.update(stream, config);
    console.log(`state puts while the members bucket was blocked: ${await flood.stop()}, call rounds: ${rounds}`);
  }
  assert.deepEqual(missing, [], 'no member went missing from the view');
  assert.deepEqual(await deathsAndLosses(), before, 'no node declared a member dead or lost a shard');
  const counts = await Promise.all(keys.map((k) => client.get(Counter, k).get()));
  assert.deepEqual(new Set(counts), new Set([rounds]), 'every acknowledged increment counted once');
});

test('forged, garbage and replayed heartbeats are dropped and counted, and keep no killed node alive', async () => {
  const node2 = client.membership.alive().get('node2')!;
  const captured = await new Promise<Uint8Array>((resolve) => {
    const sub = raw.subscribe(beatSubject(cluster.name, 'node2'), {
      callback: (_err, msg) => {
        sub.unsubscribe();
        resolve(msg.data);
      },
    });
  });
  const kinds = ['member_entry', 'member_signature', 'member_replay'];
  const before = await Promise.all(kinds.map(async (k) => droppedIn(await cluster.metrics('node1'), k)));
  const forger = new MemberEntryCodec(cluster.name, randomBytes(32));
  const fake: MemberInfo = { id: 'fake', incarnation: 'x1', role: 'host', status: 'active' };
  let seq = 1e9;
  const forgeries = [
    () => raw.publish(beatSubject(cluster.name, 'node2'), captured),
    () => raw.publish(beatSubject(cluster.name, 'node2'), forger.encode({ info: node2, seq: ++seq, left: false })),
    () => raw.publish(beatSubject(cluster.name, 'node2'), JSON.stringify({ ...node2, seq: ++seq })),
    () => raw.publish(beatSubject(cluster.name, 'fake'), forger.encode({ info: fake, seq: ++seq, left: false })),
    () => raw.publish(beatSubject(cluster.name, 'node2'), 'not { json'),
    () => raw.publish(beatSubject(cluster.name, 'node1'), new Uint8Array([0xff, 0x00])),
  ];
  const forging = setInterval(() => {
    for (const forge of forgeries) forge();
  }, 50);
  try {
    await cluster.node('node2').kill();
    await waitFor(() => !client.membership.alive().has('node2'), 10_000, 'node2 declared dead despite the forgeries');
    await waitFor(() => !local.membership.alive().has('node2'), 10_000, 'local to declare node2 dead');
  } finally {
    clearInterval(forging);
  }
  const keys = Array.from({ length: 200 }, (_, i) => `hb${i}`);
  const where = await Promise.all(keys.map((k) => client.get(Echo, k).where()));
  assert.ok(!where.includes('node2'), "node2's objects moved to the survivors");
  assert.ok(!client.membership.alive().has('fake'), 'the forged member never joined');
  const afterDrops = await Promise.all(kinds.map(async (k) => droppedIn(await cluster.metrics('node1'), k)));
  for (const [i, kind] of kinds.entries())
    assert.ok(afterDrops[i]! > before[i]!, `${kind} heartbeats counted on node1`);

  const dead = lines.find((l) => l.membership === 'dead' && l.member === 'node2');
  assert.ok(dead, "local logged node2's death");
  assert.equal(dead.incarnation, node2.incarnation);
  assert.equal(dead.reason, 'no heartbeat');
  assert.ok(typeof dead.silentMs === 'number' && dead.silentMs > TIMING.deadMs);
  assert.equal(typeof dead.suspectedForMs, 'number');
  assert.ok(
    lines.some((l) => l.membership === 'suspected' && l.member === 'node2' && typeof l.silentMs === 'number'),
    'the suspicion came first',
  );
  await waitFor(() => lines.some((l) => l.shardMoves === 'takeover'), 5000, 'a takeover summary line');
  const takeover = lines.find((l) => l.shardMoves === 'takeover')!;
  assert.equal(takeover.from, 'node2');
  assert.equal(takeover.to, 'local');
  assert.match(String(takeover.reason), /owner node2 not alive/);
  assert.ok((takeover.count as number) > 0 && Array.isArray(takeover.shards) && typeof takeover.maxMs === 'number');
  assert.ok(
    lines.some((l) => l.shardMove === 'takeover' && typeof l.shard === 'number' && typeof l.ms === 'number'),
    'each shard at debug level',
  );
});

test('a joining node is logged with its incarnation, and the shards handed to it with their reason', async () => {
  await cluster.addNode('node3');
  await waitFor(() => local.membership.alive().has('node3'), 10_000, 'local to see node3');
  const incarnation = local.membership.alive().get('node3')!.incarnation;
  const joined = lines.find((l) => l.membership === 'joined' && l.member === 'node3');
  assert.ok(joined, 'local logged the join');
  assert.equal(joined.incarnation, incarnation);
  assert.equal(joined.role, 'host');
  await waitFor(
    () => lines.some((l) => l.shardMoves === 'handover' && l.to === 'node3'),
    10_000,
    'a handover summary line',
  );
  const handover = lines.find((l) => l.shardMoves === 'handover' && l.to === 'node3')!;
  assert.equal(handover.from, 'local');
  assert.equal(handover.reason, 'no longer the rendezvous choice');
  assert.ok((handover.count as number) > 0 && typeof handover.windowMs === 'number');
});

test('a paused node (SIGSTOP) is declared dead, and logged as coming back once it runs again', async () => {
  const node1 = cluster.node('node1');
  const incarnation = local.membership.alive().get('node1')!.incarnation;
  node1.pause();
  try {
    await waitFor(() => !local.membership.alive().has('node1'), 10_000, 'the paused node1 to be declared dead');
  } finally {
    node1.resume();
  }
  await waitFor(() => internals(local).membership.isAlive('node1', incarnation), 30_000, 'node1 to come back');
  const back = lines.find((l) => l.membership === 'came_back' && l.member === 'node1');
  assert.ok(back, 'local logged it coming back');
  assert.equal(back.incarnation, incarnation);
  assert.equal(typeof back.deadForMs, 'number');
  const where = await Promise.all(Array.from({ length: 60 }, (_, i) => client.get(Echo, `back${i}`).where()));
  assert.ok(where.includes('node1'), 'node1 owns objects again');
});

test('a node that was itself stalled (its event loop blocked) declares nobody dead when it runs again', async () => {
  const before = counted(await local.metricsRegistry.metrics(), 'resident_membership_changes_total', 'change="dead"');
  const missing = watchMissing();
  const peers = ['node1', 'node3'];
  for (const id of peers) assert.ok(local.membership.alive().has(id), `local sees ${id} before the stall`);
  // Blocks this process (local and the client) for twice the time after which silence means dead: on waking, its
  // timers run before its socket is read, so by its own clock every peer has been silent that long.
  const end = performance.now() + 2 * TIMING.deadMs;
  while (performance.now() < end);
  await waitFor(() => internals(local).membership.leaseValid(), 10_000, "local's own heartbeats to come back");
  const after = counted(await local.metricsRegistry.metrics(), 'resident_membership_changes_total', 'change="dead"');
  assert.equal(after, before, 'local declared nobody dead');
  for (const id of peers) assert.ok(local.membership.alive().has(id), `local still sees ${id}`);
  assert.deepEqual(
    missing.filter((id) => id !== 'local'),
    [],
    'the client, stalled with it, lost no peer either',
  );
});
