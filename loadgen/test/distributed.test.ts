// Distributed mode on this machine: a coordinator and 3 workers over a real NATS, against real game nodes; one
// worker is killed mid-run and must be flagged. Also: Ctrl-C writes the partial report, and the objects scenario.
// NATS runs with authentication: coordinator and workers use the loadgen role's nkey, the objects scenario the node's.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type GameNodes, startGameNodes } from '@resident/backend/testing/game-nodes';
import { readResult, runCli, startCli, waitForOutput } from './support/cli.ts';

let game: GameNodes;
before(async () => {
  game = await startGameNodes({ nodes: 2, cluster: true, secure: true });
});
const seed = (role: 'node' | 'loadgen') => ['--nats-nkey', game.credentials!.seedFiles[role]];
after(async () => {
  await game?.stop();
});

const outDir = (name: string) => mkdtempSync(join(tmpdir(), `loadgen-${name}-`));

test('coordinator + 3 workers over NATS: users split and merged; a killed worker is flagged dead', {
  timeout: 90_000,
}, async () => {
  const nats = game.natsUrl!;
  const workers = [1, 2, 3].map((i) =>
    startCli(['worker', '--nats', nats, ...seed('loadgen'), '--id', `w${i}`, '--wait', '30s'], 80_000),
  );
  const out = outDir('dist');
  const coordinator = startCli(
    [
      'coordinator',
      '--nats',
      nats,
      ...seed('loadgen'),
      '--expect',
      '3',
      '--targets',
      game.urls.join(','),
      '--scenario',
      'idle',
      '--users',
      '300',
    ].concat(['--ramp', '4s', '--hold', '22s', '--warmup', '2s', '--out', out, '--no-progress']),
    80_000,
  );
  await waitForOutput(coordinator, /connected 300 /, 40_000); // every worker holds its 100 users
  await sleep(1500); // and has reported it
  workers[2]!.child.kill('SIGKILL');
  const r = await coordinator.done;
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  for (const w of workers.slice(0, 2)) assert.equal((await w.done).code, 0);

  const result = readResult(join(out, 'result.json'));
  assert.deepEqual(result.setup.workers.map((w) => w.id).sort(), ['w1', 'w2', 'w3']);
  assert.ok(result.setup.workers.every((w) => w.where.includes('(NATS)')));
  assert.ok(
    result.timeline.some((row) => row.active === 300),
    'all 300 users were up before the kill',
  );
  const w3 = result.flags.filter((f) => f.worker === 'w3').map((f) => f.kind);
  assert.ok(w3.includes('late') && w3.includes('dead'), JSON.stringify(result.flags));
  assert.ok(!result.flags.some((f) => f.worker !== 'w3'), JSON.stringify(result.flags));
  // Merged: the two live workers' users; the dead one's are no longer counted.
  assert.equal(result.timeline[Math.floor(result.window.endS) - 1]?.active, 200);
  assert.equal(result.errors.counters.errors, 0, JSON.stringify(result.errors));
  assert.ok(result.latency.run.ping && result.latency.run.join, 'histograms merged across workers');
});

test('Ctrl-C ends the run cleanly and still writes the partial report', { timeout: 60_000 }, async () => {
  const out = outDir('sigint');
  const run = startCli([
    '--targets',
    game.urls[0]!,
    '--users',
    '50',
    '--ramp',
    '2s',
    '--hold',
    '60s',
    '--out',
    out,
    '--no-progress',
  ]);
  await waitForOutput(run, /connected 50 /, 30_000);
  await sleep(1500);
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 130, `${r.out}\n${r.err}`);
  const result = readResult(join(out, 'result.json'));
  assert.equal(result.partial, true);
  assert.equal(result.stopReason, 'interrupted');
  assert.ok(result.timeline.some((row) => row.active === 50));
  assert.ok(existsSync(join(out, 'report.html')));
});

test('objects: simulated users call Player.touch over NATS, labelled simulated', { timeout: 60_000 }, async () => {
  const out = outDir('objects');
  const args = ['--scenario', 'objects', '--targets', game.urls.join(','), '--nats', game.natsUrl!, '--users', '1000'];
  args.push(...seed('node'), '--cluster', game.cluster!);
  const r = await runCli(
    [...args, '--ramp', '3s', '--hold', '5s', '--warmup', '1s', '--out', out, '--no-progress'],
    50_000,
  );
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  const result = readResult(join(out, 'result.json'));
  assert.equal(result.simulated, true);
  const held = result.figures.find((f) => f.name === 'concurrent_users_held');
  assert.equal(held?.value, 1000);
  assert.match(held!.unit, /simulated \(no sockets\)/);
  assert.equal(result.errors.counters.errors, 0, JSON.stringify(result.errors));
  assert.match(result.figures.find((f) => f.name === 'rtt_p99_ms')?.note ?? '', /object call latency/);
});

test('a worker without credentials, or with an unreadable seed file, stops with one line naming the setting', async () => {
  const anonymous = await runCli(['worker', '--nats', game.natsUrl!, '--wait', '5s'], 30_000);
  assert.equal(anonymous.code, 2, anonymous.err);
  assert.match(
    anonymous.err,
    /^loadgen: NATS requires credentials \(Authorization Violation\): set --nats-nkey[^\n]*\n$/,
  );
  const missing = await runCli(['worker', '--nats', game.natsUrl!, '--nats-nkey', '/nonexistent.nk'], 30_000);
  assert.equal(missing.code, 2, missing.err);
  assert.match(missing.err, /^loadgen: --nats-nkey \/nonexistent\.nk: cannot read it \(ENOENT\)\n$/);
});
