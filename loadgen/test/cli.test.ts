// Bad input: every kind gets a one-line error and exit code 2, before anything starts.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseCli } from '../src/cli/args.ts';
import { refusedBy, runCli } from './support/cli.ts';

const T = ['--targets', 'http://127.0.0.1:2567'];
const dir = mkdtempSync(join(tmpdir(), 'loadgen-cli-'));

const refused = refusedBy(parseCli);

describe('flags', () => {
  test('a good command parses, with the scenario preset loaded', () => {
    const cmd = parseCli(['--users', '500', '--ramp', '20s', '--hold', '1m', '--scenario', 'mix', ...T]);
    assert.equal(cmd.mode, 'run');
    if (cmd.mode !== 'run') return;
    assert.equal(cmd.options.users, 500);
    assert.equal(cmd.options.rampMs, 20_000);
    assert.equal(cmd.options.holdMs, 60_000);
    assert.equal(cmd.options.baselineMs, 5000, 'the nodes are read at 0 users for 5 s by default');
    assert.equal(cmd.options.scrapeMs, 1000, 'and scraped every second');
    assert.equal(cmd.options.scenario.kind, 'sockets');
    assert.deepEqual(cmd.options.targets?.nodes, ['http://127.0.0.1:2567']);
  });

  test('--scrape: the period, and a baseline of at least two of them', () => {
    const slow = parseCli(['--users', '5', '--scrape', '10s', ...T]);
    assert.ok(slow.mode === 'run');
    assert.equal(slow.options.scrapeMs, 10_000);
    assert.equal(slow.options.baselineMs, 20_000, 'the default baseline stretches to two scrapes');
    refused(
      ['--users', '5', '--scrape', '10s', '--baseline', '15s', ...T],
      /--baseline must be at least two --scrape periods \(20 s\)/,
    );
    refused(['--users', '5', '--scrape', '100ms', ...T], /--scrape must be a duration from 250ms to 1m/);
    refused(['--users', '5', '--scrape', 'often', ...T], /--scrape must be a duration/);
  });

  test('--help', () => assert.equal(parseCli(['--help']).mode, 'help'));

  test('unknown flags, stray arguments, missing values', () => {
    refused(['--userz', '5', ...T], /unknown option --userz/);
    refused(['--users', '5', 'extra', ...T], /unexpected argument "extra"/);
    refused(['--users'], /argument missing|--users/);
    refused(T, /--users N is required/);
  });

  test('caps on users, ramp and hold; bad numbers and durations', () => {
    refused(['--users', '1000001', ...T], /--users must be an integer from 1 to 1,000,000/);
    refused(['--users', '0', ...T], /--users must be/);
    refused(['--users', 'lots', ...T], /--users must be/);
    refused(['--users', '5', '--ramp', '3h', ...T], /--ramp must be a duration from 0ms to 2h/);
    refused(['--users', '5', '--hold', '0s', ...T], /--hold must be a duration/);
    refused(['--users', '5', '--hold', 'soon', ...T], /--hold must be a duration/);
    refused(['--users', '5', '--baseline=-1s', ...T], /--baseline must be a duration from 0ms to 10m/);
    refused(['--users', '5', '--baseline', '11m', ...T], /--baseline must be a duration/);
    refused(['--users', '5', '--local', '65'], /--local must be an integer from 1 to 64/);
    refused(['--users', '40000', '--workers', '2', ...T], /the cap is 18000/);
    assert.equal(
      parseCli(['--users', '2000000', '--scenario', 'objects', '--nats', 'nats://127.0.0.1:4222', ...T]).mode,
      'run',
    );
  });

  test('scenarios: unknown preset, bad blend, overrides', () => {
    refused(['--users', '5', '--scenario', 'chaos', ...T], /no preset or file "chaos"/);
    refused(['--users', '5', '--scenario', 'mix', '--blend', 'idle=80,fly=20', ...T], /has no profile "fly"/);
    refused(['--users', '5', '--scenario', 'mix', '--blend', 'half', ...T], /--blend must look like/);
    refused(
      ['--users', '5', '--scenario', 'play', '--input-hz', '99', ...T],
      /--input-hz must be an integer from 1 to 30/,
    );
    refused(['--users', '5', '--decode-sample', '2', ...T], /--decode-sample must be a fraction/);
    const bad = join(dir, 'bad-scenario.json');
    writeFileSync(bad, '{"name": "x", "description": "y", "kind": "sockets", "bots": []}');
    refused(['--users', '5', '--scenario', bad, ...T], /non-empty "bots"/);
    const bot = { profile: 'p', weight: 1, room: 'arena', inputHz: 0, pingEveryMs: 0, pingSample: 0, decodeSample: 0 };
    writeFileSync(
      bad,
      JSON.stringify({ name: 'x', description: 'y', kind: 'sockets', bots: [{ ...bot, recover: 'pray' }] }),
    );
    refused(['--users', '5', '--scenario', bad, ...T], /bots\[\]\.recover must be "reconnect" or "rematch"/);
  });

  test('targets: where, non-loopback hosts, cluster files', () => {
    refused(['--users', '5'], /say where/);
    refused(['--users', '5', '--local', '2', ...T], /do not go together/);
    refused(['--users', '5', '--stateless', ...T], /^--stateless goes with --local/);
    refused(
      ['--users', '5', '--local', '1', '--stateless', '--scenario', 'objects'],
      /the objects scenario calls objects/,
    );
    refused(
      ['--users', '5', '--targets', 'http://10.1.2.3:2567'],
      /refusing non-loopback target 10\.1\.2\.3.*--allow-host 10\.1\.2\.3/,
    );
    assert.equal(
      parseCli(['--users', '5', '--targets', 'http://10.1.2.3:2567', '--allow-host', '10.1.2.3']).mode,
      'run',
    );
    refused(
      ['--users', '5', '--targets', join(dir, 'missing.json')],
      /neither node URLs .* nor an existing cluster file/,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"nodes": ');
    refused(['--users', '5', '--targets', broken], /not valid JSON/);
    const file = join(dir, 'cluster.json');
    writeFileSync(
      file,
      JSON.stringify({
        nodes: ['http://127.0.0.1:1', 'ws://localhost:2'],
        nats: ['nats://127.0.0.1:4222'],
        cluster: 'c1',
      }),
    );
    const cmd = parseCli(['--users', '5', '--scenario', 'objects', '--targets', file]);
    assert.ok(cmd.mode === 'run' && cmd.options.cluster === 'c1' && cmd.options.targets?.nodes.length === 2);
    refused(['--users', '5', '--scenario', 'objects', ...T], /objects scenario calls objects over NATS/);
  });

  test('coordinator and worker modes', () => {
    refused(['coordinator', '--users', '5', ...T], /coordinator needs --nats/);
    refused(
      ['coordinator', '--users', '5', '--nats', 'nats://127.0.0.1:1', '--profile', 'p', ...T],
      /--profile is for one machine/,
    );
    refused(['--users', '5', '--profile', ' ', ...T], /--profile needs a folder/);
    refused(
      ['coordinator', '--users', '40000', '--nats', 'nats://127.0.0.1:1', '--expect', '2', ...T],
      /the cap is 18000/,
    );
    refused(['worker'], /worker needs --nats/);
    refused(
      ['worker', '--nats', 'nats://127.0.0.1:1', '--users', '5'],
      /worker takes --nats, --id, --wait and the NATS credentials only/,
    );
    assert.equal(parseCli(['worker', '--nats', 'nats://127.0.0.1:1', '--id', 'w1']).mode, 'worker');
  });

  test('NATS credentials: read at once, named when bad; a coordinator keeps its own away from the objects plan', () => {
    refused(
      ['worker', '--nats', 'nats://127.0.0.1:1', '--nats-nkey', '/nonexistent.nk'],
      /^--nats-nkey \/nonexistent\.nk: cannot read it/,
    );
    const seed = join(mkdtempSync(join(tmpdir(), 'loadgen-seed-')), 'loadgen.nk');
    writeFileSync(seed, 'not a seed\n');
    refused(['--users', '5', '--nats-nkey', seed, ...T], /^--nats-nkey \S+: not a valid nkey seed/);
    const user = ['--nats-user', 'lg', '--nats-password', 'pw'];
    const coordinator = parseCli(['coordinator', '--users', '5', '--nats', 'nats://127.0.0.1:1', ...user, ...T]);
    assert.ok(coordinator.mode === 'coordinator');
    assert.equal(coordinator.natsAuth['nats-user']?.value, 'lg');
    assert.deepEqual(coordinator.options.objectsAuth, {});
  });
});

describe('the CLI process', () => {
  test('bad flags: one line on stderr, exit code 2', async () => {
    const r = await runCli(['--users', 'many', ...T]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^loadgen: --users must be an integer/);
  });

  test('an unreachable target: named with the reason, exit code 2, nothing started', async () => {
    const port = await closedPort();
    const r = await runCli([
      '--users',
      '5',
      '--ramp',
      '1s',
      '--hold',
      '2s',
      '--targets',
      `http://127.0.0.1:${port}`,
      '--no-progress',
    ]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, new RegExp(`unreachable target: http://127.0.0.1:${port}: ECONNREFUSED`));
  });

  test('--help prints the usage', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /--users N/);
  });
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}
