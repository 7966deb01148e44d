// The `npm start` entry point as a real process: env validation, exclusive port, graceful shutdown on SIGTERM.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../testing/support.ts';

const MAIN = new URL('../src/node/main.ts', import.meta.url).pathname;

interface Started {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

const dataRoot = mkdtempSync(join(tmpdir(), 'resident-main-'));
after(() => rmSync(dataRoot, { recursive: true, force: true }));

function startMain(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, RESIDENT_DATA_DIR: join(dataRoot, env.NODE_ID ?? 'node'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => ({ stdout, stderr }), exited };
}

async function exitCodeWithin(started: Started, ms: number): Promise<number | null> {
  const timer = setTimeout(() => started.child.kill('SIGKILL'), ms);
  try {
    return await started.exited;
  } finally {
    clearTimeout(timer);
  }
}

async function healthy(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) }).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

for (const bad of ['abc', '0', '65536', '80.5', '']) {
  test(`PORT=${JSON.stringify(bad)} exits 1 with a one-line error`, async () => {
    const started = startMain({ PORT: bad });
    assert.equal(await exitCodeWithin(started, 10_000), 1);
    const { stdout, stderr } = started.output();
    assert.equal(stdout, '');
    assert.match(stderr, /^resident: PORT must be an integer from 1 to 65535, got .*\n$/);
  });
}

test('a NATS that cannot be reached stops the node with one line naming the setting', async () => {
  const port = await freePort(); // nothing listens there
  const started = startMain({
    NATS_URL: `nats://127.0.0.1:${port}`,
    RESIDENT_AUTH_SECRET: 'x'.repeat(32),
    PORT: String(await freePort()),
  });
  assert.equal(await exitCodeWithin(started, 20_000), 1);
  const lines = started
    .output()
    .stderr.split('\n')
    .filter((l) => l !== '' && !l.startsWith('[uWebSockets.js]'));
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(
    lines[0]!,
    new RegExp(`^resident: cannot reach NATS at nats://127\\.0\\.0\\.1:${port} \\(--nats, NATS_URL\\): `),
  );
});

test('serves /health, refuses to share its port with a second node, and stops cleanly on SIGTERM', async () => {
  const port = await freePort();
  const first = startMain({ PORT: String(port), NODE_ID: 'first' });
  try {
    assert.ok(await healthy(port, 10_000), `first node never became healthy:\n${first.output().stderr}`);

    const second = startMain({ PORT: String(port), NODE_ID: 'second' });
    assert.equal(await exitCodeWithin(second, 10_000), 1, 'second node should fail to listen');
    assert.match(second.output().stdout, /cannot listen on port/);

    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    assert.equal(((await res.json()) as { node: string }).node, 'first');

    first.child.kill('SIGTERM');
    assert.equal(await exitCodeWithin(first, 10_000), 0);
    const { stdout } = first.output();
    assert.match(
      stdout,
      /"msg":"listening on port \d+: Colyseus 0\.18 over uWebSockets\.js [^"]+; embedded \(no NATS\), state in lmdb at [^;]+; GET \/health \/ready \/metrics"/,
    );
    assert.match(stdout, /"msg":"play at http:\/\/localhost:\d+\/ \(rooms: arena, lounge\)"/);
    assert.match(stdout, /"signal":"SIGTERM"/);
    assert.match(stdout, /"drainSeconds":\d+(\.\d+)?,"msg":"stopped"/);
  } finally {
    first.child.kill('SIGKILL');
  }
});
