// A live node whose event loop stalls (GC, a starved core) keeps its shards: its heartbeats come from a thread and a
// connection of their own. A node whose main thread stays hung past stallMs stops beating and is declared dead.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { ObjectRuntime } from '../../src/objects/index.ts';
import { connectNats, internals } from '../../src/objects/internal.ts';
import { ALL, Echo } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';
import { TEST_MEMBERSHIP_KEY, waitFor } from '../../testing/support.ts';

const TIMING = { heartbeatMs: 200, suspectMs: 1000, deadMs: 1500 };
const STALL_MS = 2500;

let cluster: RuntimeCluster;
let host: ObjectRuntime;
let hostNc: NatsConnection;
const lines: Record<string, unknown>[] = [];

before(async () => {
  cluster = await startRuntimeCluster({ nodes: 2, runtime: TIMING });
  hostNc = await connectNats(cluster.nats.urls, 'stalling');
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  host = await ObjectRuntime.start({
    classes: ALL,
    nodeId: 'stalling',
    nats: {
      connection: hostNc,
      cluster: cluster.name,
      membershipKey: TEST_MEMBERSHIP_KEY,
      heartbeats: { servers: cluster.nats.urls },
    },
    log: pino({ level: 'info' }, sink),
    ...TIMING,
    stallMs: STALL_MS,
  });
  await waitFor(() => host.membership.alive().size === 3, 10_000, 'the host to see both peers');
});
after(async () => {
  await host?.stop({ drain: false });
  await hostNc?.close();
  await cluster?.close();
});

/** How often node1 and node2 declared `stalling` dead. */
async function peerDeaths(): Promise<number> {
  let deaths = 0;
  for (const node of ['node1', 'node2']) {
    const text = await cluster.metrics(node);
    const line = text.split('\n').find((l) => l.startsWith('resident_membership_changes_total{change="dead"}'));
    deaths += line ? Number(line.split(' ').at(-1)) : 0;
  }
  return deaths;
}

function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('a node whose event loop is blocked longer than deadMs, but less than stallMs, is not declared dead', async () => {
  const keys = Array.from({ length: 40 }, (_, i) => `stall${i}`);
  const owners = () => Promise.all(keys.map((k) => host.get(Echo, k).where()));
  // The newcomer's shards come to it at a bounded rate: wait until they have all arrived.
  await waitFor(() => internals(host).placement.pending() === undefined, 30_000, 'every shard with its owner');
  const ownedBefore = await owners();
  assert.ok(ownedBefore.includes('local'), 'the host owns some of the objects');
  const before = await peerDeaths();
  block(TIMING.deadMs + 700);
  await waitFor(() => internals(host).membership.leaseValid(), 5000, 'the lease (it should never have lapsed)');
  await new Promise((r) => setTimeout(r, TIMING.deadMs)); // any death would have been declared by now
  assert.equal(await peerDeaths(), before, 'no peer declared the stalled node dead');
  const stall = lines.find((l) => l.msg === 'event loop stalled: this node did not run for a while');
  assert.ok(stall, 'the stall was logged');
  assert.ok((stall.stalledMs as number) >= TIMING.deadMs, `stalled ${stall.stalledMs} ms`);
  assert.equal(stall.beatsPausedMs, 0, 'the heartbeat thread kept beating');
  assert.deepEqual(await owners(), ownedBefore, 'no object moved');
});

test('a node whose main thread stays hung past stallMs stops beating and is declared dead', async () => {
  const before = await peerDeaths();
  lines.length = 0;
  block(STALL_MS + TIMING.deadMs + 1000);
  await waitFor(async () => (await peerDeaths()) > before, 10_000, 'the peers to declare the hung node dead');
  const stall = lines.find((l) => l.msg === 'event loop stalled: this node did not run for a while');
  assert.ok(stall && (stall.beatsPausedMs as number) > 0, 'the heartbeat thread paused its beats');
  await waitFor(() => internals(host).membership.leaseValid(), 10_000, 'its lease back once it beats again');
});

test('a heartbeat connection that cannot connect stops the node at start, saying why', async () => {
  const nc = await connectNats(cluster.nats.urls, 'no-beats');
  try {
    await assert.rejects(
      ObjectRuntime.start({
        classes: ALL,
        nodeId: 'nobeats',
        nats: {
          connection: nc,
          cluster: cluster.name,
          membershipKey: TEST_MEMBERSHIP_KEY,
          heartbeats: { servers: ['nats://127.0.0.1:1'] },
        },
        log: pino({ level: 'silent' }),
        ...TIMING,
      }),
      /the heartbeat thread did not start: .*(ECONNREFUSED|CONNECTION_REFUSED|refused)/i,
    );
  } finally {
    await nc.close();
  }
});
