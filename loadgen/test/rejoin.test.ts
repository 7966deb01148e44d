// Bots get back in when their room's node dies, as players do: on a 3-node cluster, the node hosting the bots' room
// is killed with SIGKILL mid-run. Idle bots (the lounge ends with its node) matchmake again through another node;
// playing bots re-join the arena room, restored on a survivor, by their reconnection token. No bot is lost: 0 errors,
// every bot back at the end, every bot of the killed node counted as re-joined, with the time it took. The nodes
// serve few matchmaking requests at once, so a wave of re-joins is asked to wait (503 Retry-After), and waits.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { LocalCluster, printerFor } from '@resident/infra/cluster';
import { freePorts } from '@resident/infra/process';
import { LOCAL_LIMITS } from '../src/local/cluster.ts';
import { readResult, startCli, waitForOutput } from './support/cli.ts';

/** Past the rooms' checkpoint interval (1 s) after the last join, with room for a busy machine. */
const CHECKPOINTED_MS = 3000;
/** Matchmaking requests a node serves at once: far fewer than the bots that re-join at the same moment. */
const PENDING_JOINS = 4;
let cluster: LocalCluster;
const logs: string[] = [];

before(async () => {
  const ports = await freePorts(3);
  const nodeArgs = Object.entries(LOCAL_LIMITS).flatMap(([flag, value]) => [`--${flag}`, String(value)]);
  nodeArgs.push('--max-pending-joins', String(PENDING_JOINS));
  const options = { nodes: 3, nats: 1 as const, basePort: ports[0]!, ports, cluster: 'rejoin', nodeArgs };
  const sink = new PassThrough().on('data', (chunk: Buffer) => logs.push(String(chunk)));
  cluster = new LocalCluster(options, printerFor(options, sink, sink));
  await cluster.start();
});

after(() => cluster?.kill());

/** The nodes' lines about moving rooms, for a failure's message. */
const roomLines = () =>
  logs
    .join('')
    .split('\n')
    .filter((l) => /room restored|adopting|reconnection token/.test(l))
    .join('\n');

const live = () => cluster.nodes.filter((n) => n.child.running);

/** The node to kill, and how many of the run's bots it holds (those must re-join). */
type Victim = { node: (typeof cluster.nodes)[number]; bots: number };

/** Runs the scenario against the live nodes, kills `victim()` once every bot is in, and returns the result. */
async function runAndKill(scenario: string, users: number, victim: () => Promise<Victim>) {
  const out = mkdtempSync(join(tmpdir(), 'loadgen-rejoin-'));
  const targets = live()
    .map((n) => n.url)
    .join(',');
  const args = ['--targets', targets, '--scenario', scenario, '--users', String(users), '--ramp', '5s'];
  const run = startCli([...args, '--hold', '35s', '--warmup', '1s', '--out', out, '--no-progress'], 160_000);
  await waitForOutput(run, new RegExp(`connected ${users} `), 60_000);
  // A room is checkpointed every second: a bot that joined after the last checkpoint has no seat in the restored room.
  await new Promise((r) => setTimeout(r, CHECKPOINTED_MS));
  const { node, bots } = await victim();
  node.child.signal('SIGKILL');
  const r = await run.done;
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  const result = readResult(join(out, 'result.json'));
  const fig = (name: string) => result.figures.find((f) => f.name === name);
  assert.equal(fig('errors')?.value, 0, `${JSON.stringify(result.errors)}\n${roomLines()}`);
  const lastHeld = result.timeline.filter((row) => row.inWindow).at(-1);
  assert.equal(lastHeld?.active, users, 'every bot back in a room at the end of the hold');
  const rejoins = fig('rejoins');
  assert.ok(rejoins, `no rejoins figure: ${JSON.stringify(result.figures)}`);
  assert.match(rejoins.note ?? '', /p99 \d+/);
  // From the first second with bots lost (the kill) on: the re-joins were refused for a while, and retried.
  const lost = result.timeline.findIndex(
    (row, i) => i > 0 && row.active < users && result.timeline[i - 1]!.active === users,
  );
  const retriedAfterKill = result.timeline.slice(Math.max(0, lost)).reduce((n, row) => n + row.rates.retries, 0);
  return { rejoined: rejoins.value, expected: bots, retriedAfterKill };
}

test('idle bots: the lounge dies with its node, every bot matchmakes again elsewhere', {
  timeout: 180_000,
}, async () => {
  const users = 200;
  // Usually one lounge room (500 seats); a second one when two nodes create at once. The node with most users goes.
  const { rejoined, expected, retriedAfterKill } = await runAndKill('idle', users, async () => {
    const held = await Promise.all(
      live().map(async (node) => {
        const text = await (await fetch(`${node.url}/metrics`)).text();
        return { node, bots: Number(/^resident_users (\d+)/m.exec(text)?.[1] ?? 0) };
      }),
    );
    const most = held.reduce((x, y) => (y.bots > x.bots ? y : x));
    assert.ok(most.bots > 0, 'no node holds a bot');
    return most;
  });
  assert.equal(rejoined, expected, 'every bot of the killed node re-joined');
  assert.ok(
    retriedAfterKill > 0,
    `${users} re-joins at once on nodes serving ${PENDING_JOINS} at a time: none refused?`,
  );
});

test('playing bots: the arena room comes back on a survivor and every bot re-joins it', {
  timeout: 180_000,
}, async () => {
  const users = 40; // one arena room (50 seats)
  const { rejoined } = await runAndKill('play', users, async () => {
    const rooms = (await (await fetch(`${live()[0]!.url}/api/rooms`)).json()) as { node: string; clients: number }[];
    assert.equal(rooms.length, 1, JSON.stringify(rooms));
    const node = live().find((n) => n.name === rooms[0]!.node);
    assert.ok(node, `room on ${rooms[0]!.node}, not one of ${live().map((n) => n.name)}`);
    return { node, bots: users };
  });
  assert.equal(rejoined, users);
});
