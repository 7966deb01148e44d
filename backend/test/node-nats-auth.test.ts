// Nodes on a NATS with authentication and the roles' permissions: bad or missing credentials stop the node process
// at start with one line naming the setting; good ones (nkey, TLS) work, a real call crosses two nodes, and the
// metrics role reads the nodes' stats summaries.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createUser } from '@nats-io/nkeys';
import { connect } from '@nats-io/transport-node';
import { loadNatsClientAuth, statsSubject } from '@resident/shared/nats';
import { createTestCertificates, type NatsCluster, startNats, type TestCertificates } from '@resident/testing';
import { ConfigError, readConfig } from '../src/node/config.ts';
import { TEST_SECRET } from '../testing/colyseus-cluster.ts';
import { guestLogin } from '../testing/game-client.ts';
import { startGameNodes } from '../testing/game-nodes.ts';
import { NodeProcess } from '../testing/runtime-cluster.ts';
import { freePort } from '../testing/support.ts';

const MAIN = new URL('../src/node/main.ts', import.meta.url).pathname;
const NODE_SCRIPT = new URL('../testing/colyseus-node.ts', import.meta.url).pathname;
const CLUSTER = 'auth1';

const dir = mkdtempSync(join(tmpdir(), 'resident-nats-auth-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
let certs: TestCertificates;
let nats: NatsCluster;
let tlsNats: NatsCluster;
/** Never listened on: every node here stops before it listens. */
let port: string;
before(async () => {
  port = String(await freePort());
  certs = createTestCertificates();
  [nats, tlsNats] = await Promise.all([
    startNats({ auth: { cluster: CLUSTER } }),
    startNats({ auth: { cluster: CLUSTER }, tls: { certFile: certs.serverCert, keyFile: certs.serverKey } }),
  ]);
});
after(async () => {
  await Promise.all([nats?.close(), tlsNats?.close()]);
  certs?.remove();
  rmSync(dir, { recursive: true, force: true });
});

/** `npm start` as a process that must fail at start: exit code and output. */
async function startFails(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, RESIDENT_AUTH_SECRET: TEST_SECRET, RESIDENT_CLUSTER: CLUSTER, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const natsFlag = () => ['--nats', nats.urls[0]!, '--port', port];

describe('a node with bad or missing NATS credentials stops at start with one line naming the setting', () => {
  const cases: [string, () => [string[], Record<string, string>], RegExp][] = [
    [
      'no credential',
      () => [natsFlag(), {}],
      /^resident: NATS requires credentials \(Authorization Violation\): set --nats-nkey, --nats-creds or --nats-user/,
    ],
    [
      'an unreadable seed file',
      () => [natsFlag(), { NATS_NKEY: join(dir, 'missing.nk') }],
      /^resident: NATS_NKEY \S+missing\.nk: cannot read it \(ENOENT\)$/,
    ],
    [
      'a malformed seed',
      () => [[...natsFlag(), '--nats-nkey', file('bad.nk', 'SUNOTASEED\n')], {}],
      /^resident: --nats-nkey \S+bad\.nk: not a valid nkey seed \(.+\)$/,
    ],
    [
      'an nkey the server does not know',
      () => [[...natsFlag(), '--nats-nkey', file('stranger.nk', new TextDecoder().decode(createUser().getSeed()))], {}],
      /^resident: NATS refused the credential in --nats-nkey \(Authorization Violation\)$/,
    ],
    [
      'a user without a password',
      () => [natsFlag(), { NATS_USER: 'node' }],
      /^resident: NATS_USER needs a password: set --nats-password-file or NATS_PASSWORD$/,
    ],
    [
      "another role's credential (loadgen)",
      () => [[...natsFlag(), '--nats-nkey', nats.credentials!.seedFiles.loadgen], {}],
      /^resident: the NATS credential in --nats-nkey lacks the node role of cluster "auth1" \(Permissions Violation for Subscription to "rsd\.auth1\.reply\..+"\); see docs\/NATS-SECURITY\.md$/,
    ],
    [
      "the node credential of another cluster's name",
      () => [[...natsFlag(), '--nats-nkey', nats.credentials!.seedFiles.node, '--cluster', 'other'], {}],
      /^resident: the NATS credential in --nats-nkey lacks the node role of cluster "other"/,
    ],
    [
      'TLS with a CA that did not sign the server certificate',
      () => [
        ['--nats', tlsNats.urls[0]!, '--nats-nkey', tlsNats.credentials!.seedFiles.node, '--port', port],
        { NATS_TLS_CA: certs.otherCaFile },
      ],
      /^resident: TLS to NATS failed \(.+\): check NATS_TLS_CA$/,
    ],
  ];
  for (const [name, setup, message] of cases) {
    test(name, async () => {
      const [args, env] = setup();
      const { code, stdout, stderr } = await startFails(args, env);
      assert.equal(code, 1, stderr);
      assert.equal(stdout, '');
      // The uWebSockets.js build line is printed at every start, before NATS is reached; then one line, no stack.
      const lines = stderr.split('\n').filter((l) => l && !l.startsWith('[uWebSockets.js] using '));
      assert.equal(lines.length, 1, `exactly one line:\n${stderr}`);
      assert.match(lines[0]!, message);
    });
  }
});

test('NATS settings are read with the config: conflicts are ConfigErrors, and the embedded node ignores them', () => {
  const nkey = file('node.nk', readFileSync(nats.credentials!.seedFiles.node, 'utf8'));
  const base = ['--nats', 'nats://127.0.0.1:4222', '--auth-secret', TEST_SECRET];
  const config = readConfig([...base, '--nats-nkey', nkey], {}, 'host');
  assert.equal(config.natsAuth?.credential, '--nats-nkey');
  assert.throws(
    () => readConfig([...base, '--nats-nkey', nkey], { NATS_CREDS: nkey }, 'host'),
    (err: unknown) =>
      err instanceof ConfigError && /^NATS_CREDS and --nats-nkey: give one NATS credential/.test(err.message),
  );
  assert.throws(() => readConfig(base, { NATS_PASSWORD: 'x' }, 'host'), /NATS_PASSWORD needs a user/);
  assert.throws(() => readConfig(base, { NATS_TLS_KEY: nkey }, 'host'), /NATS_TLS_KEY needs its pair/);
  assert.equal(readConfig([], { NATS_NKEY: '/nonexistent' }, 'host').natsAuth, undefined);
});

test('a node connects over TLS with the generated CA and its nkey, and serves', async () => {
  const port = await freePort();
  const args = ['--nats', tlsNats.urls[0]!, '--nats-nkey', tlsNats.credentials!.seedFiles.node, '--port', String(port)];
  args.push('--nats-tls-ca', certs.caFile, '--cluster', CLUSTER, '--data-dir', join(dir, 'tls-node'));
  const node = new NodeProcess('tls-node', { RESIDENT_AUTH_SECRET: TEST_SECRET }, NODE_SCRIPT, args);
  await node.start();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    await node.drain();
  }
});

test("with auth on, a call crosses two nodes, the metrics role reads both nodes' stats, and nothing is refused", async () => {
  const game = await startGameNodes({ nodes: 2, cluster: true, secure: true });
  try {
    const metrics = await connect({
      servers: game.natsUrl!,
      ...loadNatsClientAuth({ 'nats-nkey': { value: game.credentials!.seedFiles.metrics, name: 'metrics' } }).options,
    });
    const stats = new Map<string, Record<string, number | string>>();
    metrics.subscribe(statsSubject(game.cluster!, '*'), {
      callback: (_e, m) => void stats.set(m.subject, m.json()),
    });
    const { token, playerId } = await guestLogin(game.urls[0]!, 'Ann');
    // The Player lives on one node: asking both means one of them calls it on the other.
    const hosts = new Set<string>();
    for (const url of game.urls) {
      const res = await fetch(`${url}/api/profile`, { headers: { authorization: `Bearer ${token}` } });
      const profile = (await res.json()) as { id: string; node: string };
      assert.equal(res.status, 200);
      assert.equal(profile.id, playerId);
      hosts.add(profile.node);
    }
    assert.equal(hosts.size, 1, 'one host, reached from both nodes');
    for (let i = 0; i < 100 && stats.size < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([...stats.keys()].sort(), game.nodeIds.map((id) => statsSubject(game.cluster!, id)).sort());
    for (const s of stats.values()) {
      assert.ok(typeof s.rssBytes === 'number' && s.rssBytes > 0, JSON.stringify(s));
      for (const key of ['users', 'rooms', 'objects', 'cpu']) assert.equal(typeof s[key], 'number', key);
    }
    await metrics.close();
    const log = game.nats!.servers.map((s) => readFileSync(s.logFile, 'utf8')).join('\n');
    assert.doesNotMatch(log, /Violation/, 'no client of the cluster was refused anything');
  } finally {
    await game.stop();
  }
});
