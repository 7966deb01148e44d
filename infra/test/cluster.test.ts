// The local cluster runner end to end: real nats-server, real backend nodes, real signals.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { loadNatsClientAuth, statsSubject } from '@resident/shared/nats';
import { parseCli, UsageError } from '../cluster/cli.ts';
import { dashboardQueries, exportedNames, metricNames } from './dashboard.ts';
import { alive, close, freePortPair, listen, processesWithArgument, Runner } from './runner-process.ts';

const READY_MS = 120_000;
const STOP_MS = 45_000;

async function status(port: number, path: 'ready' | 'health'): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/${path}`, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.status;
}

/** The game runs on the cluster: a token from one node joins the arena through the other, in the same room. */
async function playsTheGame(port1: number, port2: number): Promise<void> {
  const login = async (port: number, name: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/guest`, { method: 'POST', body: JSON.stringify({ name }) });
    return ((await res.json()) as { token: string }).token;
  };
  const join = async (port: number, token: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/matchmake/joinOrCreate/arena`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { roomId: string }).roomId;
  };
  const roomA = await join(port2, await login(port1, 'Ann'));
  const roomB = await join(port1, await login(port2, 'Ben'));
  assert.equal(roomA, roomB);
}

/**
 * NATS runs with authentication and the roles' permissions: an anonymous client is refused, the metrics role (its
 * nkey named in the summary) reads every node's stats, and no client of the cluster was refused anything.
 */
async function secured(runner: Runner, cluster: string, nodes: readonly string[]): Promise<void> {
  const out = runner.stdout;
  const [, url = ''] = /NATS client URLs: (nats:\/\/[^,\n]+)/.exec(out) ?? [];
  const [, metricsSeed = ''] = /^\[cluster\] +metrics nkey (\S+)$/m.exec(out) ?? [];
  await assert.rejects(connect({ servers: url, timeout: 5000 }), /Authorization Violation/, 'anonymous client refused');
  assert.match(out, /NATS auth: on/);
  const auth = loadNatsClientAuth({ 'nats-nkey': { value: metricsSeed, name: 'metrics nkey' } });
  const metrics = await connect({ servers: url, timeout: 5000, ...auth.options });
  try {
    const seen = new Set<string>();
    metrics.subscribe(statsSubject(cluster, '*'), { callback: (_e, m) => void seen.add(m.subject) });
    for (let i = 0; i < 100 && seen.size < nodes.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([...seen].sort(), nodes.map((n) => statsSubject(cluster, n)).sort());
  } finally {
    await metrics.close();
  }
  assert.doesNotMatch(runner.stdout, /Violation/, 'a permission violation in the NATS logs');
}

/** Every metric the Grafana dashboard queries is one a node in a NATS cluster really exports. */
async function dashboardMatches(port: number): Promise<void> {
  const exported = exportedNames(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  for (const { panel, expr } of dashboardQueries())
    for (const name of metricNames(expr)) assert.ok(exported.has(name), `panel "${panel}": ${name} is not exported`);
  const texts = await Promise.all(
    [port, port + 1].map(async (p) => (await fetch(`http://127.0.0.1:${p}/metrics`)).text()),
  );
  for (const text of texts) assert.match(text, /^resident_nats_connected 1$/m, 'connected to NATS');
  // Matchmaking went through presence shards, and the room has a checkpoint object: both counted by class.
  const presence = /^resident_active_objects\{class="PresenceShard"\} [1-9]/m;
  const active = texts.flatMap((t) => t.split('\n').filter((l) => l.startsWith('resident_active_objects')));
  assert.ok(
    texts.some((t) => presence.test(t)),
    `no PresenceShard object active: ${active.join(', ')}`,
  );
}

test('starts NATS and two nodes, reports where they are, and stops everything on SIGINT', async () => {
  const port = await freePortPair();
  const cluster = `t${randomBytes(3).toString('hex')}`;
  const runner = new Runner(['--nodes', '2', '--nats', '1', '--base-port', String(port), '--cluster', cluster]);
  try {
    const [, pidList = ''] = await runner.waitFor(/pids: ([\d ]+)\n/, READY_MS);
    const pids = pidList.trim().split(' ').map(Number);
    assert.equal(pids.length, 4, `supervisor, one nats-server, two nodes:\n${runner.all()}`);

    assert.equal(await status(port, 'ready'), 200);
    assert.equal(await status(port + 1, 'ready'), 200);
    await playsTheGame(port, port + 1);
    await secured(runner, cluster, ['node1', 'node2']);
    await dashboardMatches(port);
    const out = runner.stdout;
    assert.match(out, /NATS client URLs: nats:\/\/127\.0\.0\.1:\d+\n/);
    for (const p of [port, port + 1]) {
      const http = `http://127.0.0.1:${p}`;
      for (const url of [`ws://127.0.0.1:${p}`, `${http}/health`, `${http}/ready`, `${http}/metrics`]) {
        assert.ok(out.includes(url), `the summary lacks ${url}:\n${out}`);
      }
    }
    assert.match(out, /^\[node1\] +\{.*"node":"node1"/m, 'pino lines of node1, prefixed');
    assert.match(out, /^\[node2\] +\{.*"node":"node2"/m, 'pino lines of node2, prefixed');
    assert.match(out, /^\[nats0\] +.*Server is ready/m, 'nats-server log lines, prefixed');
    assert.ok(!(out + runner.stderr).includes('\u001b['), 'no color codes when the output is not a terminal');

    runner.child.kill('SIGINT');
    const exit = await runner.exitWithin(STOP_MS);
    assert.deepEqual(exit, { code: 0, signal: null }, runner.all());
    assert.match(runner.stdout, /stopping 2 node\(s\) one by one[\s\S]*stopping NATS[\s\S]*\[cluster\] +stopped\n/);
    // The runner's own order, seen in its children's logs: both nodes drained before NATS began to shut down.
    const natsDown = runner.stdout.search(/^\[nats0\] +.*Initiating Shutdown/m);
    assert.ok(natsDown > 0, `nats0 never logged its shutdown:\n${runner.all()}`);
    for (const node of ['node1', 'node2']) {
      const stopped = runner.stdout.search(new RegExp(`^\\[${node}\\] +\\{.*"msg":"stopped"\\}$`, 'm'));
      assert.ok(stopped > 0 && stopped < natsDown, `${node} stopped before NATS went down`);
    }
    // No grace period: the runner waits for every child before it exits.
    assert.deepEqual(pids.filter(alive), [], 'every process it started has exited');
    assert.deepEqual(processesWithArgument(cluster), [], `no process left with --cluster ${cluster}`);
    await close(await listen(port)); // the node's port is free again
  } finally {
    await runner.dispose();
  }
});

test('3 nats-servers (routes with a password) and 2 nodes on 3 replicas, all with auth: plays, and stops cleanly', async () => {
  const port = await freePortPair();
  const cluster = `t${randomBytes(3).toString('hex')}`;
  const runner = new Runner(['--nodes', '2', '--nats', '3', '--base-port', String(port), '--cluster', cluster]);
  try {
    await runner.waitFor(/pids: ([\d ]+)\n/, READY_MS);
    await playsTheGame(port, port + 1);
    await secured(runner, cluster, ['node1', 'node2']);
    runner.child.kill('SIGINT');
    assert.deepEqual(await runner.exitWithin(STOP_MS), { code: 0, signal: null }, runner.all());
  } finally {
    await runner.dispose();
  }
});

test('a node that dies is reported loudly, the others keep running, and the run then ends with exit code 1', async () => {
  const port = await freePortPair();
  const runner = new Runner(['--nodes', '2', '--nats', '1', '--base-port', String(port), '--cluster', 'dies']);
  try {
    const [, pidList = ''] = await runner.waitFor(/pids: ([\d ]+)\n/, READY_MS);
    const node2 = Number(pidList.trim().split(' ').at(-1));
    process.kill(node2, 'SIGKILL');
    const alert = new RegExp(
      `^\\[cluster\\] +!!! node2 \\(pid ${node2}\\) exited unexpectedly \\(killed by SIGKILL\\)`,
      'm',
    );
    await runner.waitFor(alert, 10_000, 'stderr');
    // /health, not /ready: node1 is briefly not ready while it takes over node2's shards.
    assert.equal(await status(port, 'health'), 200, 'node1 keeps running');
    assert.ok(runner.child.exitCode === null, 'the runner keeps running');

    runner.child.kill('SIGINT');
    assert.deepEqual(await runner.exitWithin(STOP_MS), { code: 1, signal: null }, runner.all());
    assert.match(runner.stdout, /stopped, but not cleanly/);
  } finally {
    await runner.dispose();
  }
});

const BAD_FLAGS: [string[], RegExp][] = [
  [['--nodes', '0'], /--nodes must be an integer from 1 to 64, got "0"/],
  [['--nodes', '65'], /--nodes must be an integer from 1 to 64, got "65"/],
  [['--nats', '2'], /--nats must be 1 or 3, got "2"/],
  [['--frobnicate'], /unknown option --frobnicate/],
  [['--cluster', 'a.b'], /--cluster must be 1-32 characters/],
  [['extra'], /Unexpected argument 'extra'/],
];

for (const [args, message] of BAD_FLAGS) {
  test(`${args.join(' ')}: one-line usage error, exit code 2`, async () => {
    const runner = new Runner(args);
    const exit = await runner.exitWithin(20_000);
    assert.deepEqual(exit, { code: 2, signal: null }, runner.all());
    assert.equal(runner.stdout, '');
    assert.match(runner.stderr, /^cluster: [^\n]+ \(see --help\)\n$/);
    assert.match(runner.stderr, message);
  });
}

test('a taken base port: one line naming the port and the node, exit code 1, nothing started', async () => {
  const taken = await listen(0);
  const port = (taken.address() as { port: number }).port;
  try {
    const runner = new Runner(['--nodes', '1', '--nats', '1', '--base-port', String(port)]);
    const exit = await runner.exitWithin(20_000);
    assert.deepEqual(exit, { code: 1, signal: null }, runner.all());
    assert.equal(runner.stdout, '', 'no NATS or node output: nothing was started');
    assert.match(
      runner.stderr,
      new RegExp(`^\\[cluster\\] +!!! port ${port} \\(for node1\\) is already in use; pick another --base-port\\n$`),
    );
  } finally {
    await close(taken);
  }
});

test('--help prints the usage and exits 0', async () => {
  const runner = new Runner(['--help']);
  assert.deepEqual(await runner.exitWithin(20_000), { code: 0, signal: null });
  assert.match(runner.stdout, /^usage: npm run cluster -- \[options\]\n[\s\S]*--nodes N[\s\S]*--base-port P/);
});

test('flag parsing: defaults, and ports past 65535', () => {
  assert.deepEqual(parseCli([]), { help: false, options: { nodes: 3, nats: 3, basePort: 2567, cluster: 'local' } });
  assert.deepEqual(parseCli(['--nodes=16', '--nats=1', '--base-port=65520', '--cluster=dev_1']), {
    help: false,
    options: { nodes: 16, nats: 1, basePort: 65520, cluster: 'dev_1' },
  });
  assert.throws(() => parseCli(['--nodes', '2', '--base-port', '65535']), UsageError);
  assert.throws(() => parseCli(['--base-port', '0x10']), /--base-port must be an integer from 1 to 65535/);
});
