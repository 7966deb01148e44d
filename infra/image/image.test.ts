// Builds the node's image on the local Debian 13 + Node 24 base and runs it as an embedded node (no NATS): it
// gets ready, loads the official uWebSockets.js build, runs as non-root under tini, passes its HEALTHCHECK, stops
// cleanly on SIGTERM, and refuses a bad setting with one line. Not part of `npm test` yet (an image build takes
// minutes on 2 cores): `node --import tsx --test infra/image/image.test.ts` from the repository root, as root.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Child, freePort, waitAllReady } from '../process/index.ts';
import { ensureBase } from './base.ts';
import { buildImage } from './image.ts';
import { PODMAN_CONF_ENV, podman, podmanEnv, podmanUnusable } from './podman.ts';

const skip = podmanUnusable();
const TAG = 'localhost/resident-node:test';
const NAME = `resident-image-test-${process.pid}`;
const STOP_TIMEOUT_MS = 60_000;
const RUN = ['run', '--rm'];
/** podman's own log lines (logrus): here, that it has no systemd to schedule the HEALTHCHECK with. */
const PODMAN_LOG = /^time="[^"]*" level=/;

describe('node image (podman, embedded node)', { skip: skip ?? false, timeout: 30 * 60_000 }, () => {
  const lines: string[] = [];
  let node: Child;
  let url: string;

  before(async () => {
    const { image: base } = ensureBase();
    buildImage({ base, tag: TAG, stdio: 'ignore' });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const args = [...RUN, '--name', NAME, '-p', `127.0.0.1:${port}:2567`, TAG];
    node = new Child({
      name: 'node',
      command: 'podman',
      args,
      env: PODMAN_CONF_ENV,
      onLine: (_s, l) => lines.push(l),
    });
    await waitAllReady([{ name: 'node', url, child: node }]);
  });

  after(() => {
    spawnSync('podman', ['rm', '--force', '--time', '0', NAME], { env: podmanEnv(), stdio: 'ignore' });
  });

  test('/health and /ready answer, and the official uWebSockets.js build is loaded', async () => {
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string; uws: string };
    assert.equal(health.status, 'ok');
    assert.match(health.uws, /^official v20\.57/);
    assert.equal((await fetch(`${url}/ready`)).status, 200);
    assert.ok(
      lines.some((l) => l.includes('over uWebSockets.js official v20.57')),
      lines.join('\n'),
    );
  });

  test('the HEALTHCHECK passes, tini is PID 1 and the node does not run as root', () => {
    podman(['healthcheck', 'run', NAME]);
    assert.match(podman(['exec', NAME, 'cat', '/proc/1/cmdline']), /^\/usr\/bin\/tini\0/);
    assert.notEqual(podman(['exec', NAME, 'id', '-u']).trim(), '0');
  });

  test('SIGTERM drains the node and the container exits with 0', async () => {
    podman(['kill', '--signal', 'TERM', NAME]);
    assert.ok(await node.waitExit(STOP_TIMEOUT_MS), 'the container was still running after SIGTERM');
    assert.equal(node.describeExit(), 'exit code 0', lines.slice(-5).join('\n'));
    assert.ok(
      lines.some((l) => l.includes('"msg":"stopped"')),
      lines.slice(-5).join('\n'),
    );
  });

  test('a bad setting stops the container with one line naming it', () => {
    const run = spawnSync('podman', [...RUN, '-e', 'PORT=abc', TAG], { env: podmanEnv(), encoding: 'utf8' });
    assert.equal(run.status, 1);
    const own = run.stderr.split('\n').filter((line) => line !== '' && !PODMAN_LOG.test(line));
    assert.deepEqual(own, ['resident: PORT must be an integer from 1 to 65535, got "abc"']);
  });
});
