// Which nats-server everything starts: NATS_SERVER_BIN, else the provisioned one, else PATH's; and the benchmarks
// report the version of that same binary.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { natsServerVersion } from '../bench/index.ts';
import { findNatsServer, PROVISIONED_NATS_SERVER } from '../nats/index.ts';

let dir: string;
const saved = { bin: process.env.NATS_SERVER_BIN, path: process.env.PATH };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'resident-nats-bin-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (saved.bin === undefined) delete process.env.NATS_SERVER_BIN;
  else process.env.NATS_SERVER_BIN = saved.bin;
  process.env.PATH = saved.path;
});

/** A stand-in nats-server that only answers --version. */
function fakeServer(version: string): string {
  const file = join(dir, 'nats-server');
  writeFileSync(file, `#!/bin/sh\necho "nats-server: v${version}"\n`);
  chmodSync(file, 0o755);
  return file;
}

test('NATS_SERVER_BIN overrides, and the benchmarks report its version', () => {
  process.env.NATS_SERVER_BIN = fakeServer('9.8.7');
  assert.equal(findNatsServer(), process.env.NATS_SERVER_BIN);
  assert.equal(natsServerVersion(), '9.8.7');
});

test('a NATS_SERVER_BIN that is not an executable file is a clear error', () => {
  for (const bad of [join(dir, 'missing'), dir]) {
    process.env.NATS_SERVER_BIN = bad;
    assert.throws(() => findNatsServer(), /NATS_SERVER_BIN=.* is not an executable file/);
  }
});

test('without it, the provisioned server wins over the one on PATH', () => {
  assert.ok(existsSync(PROVISIONED_NATS_SERVER), 'run `node scripts/provision.mjs` first');
  delete process.env.NATS_SERVER_BIN;
  fakeServer('9.8.7');
  process.env.PATH = `${dir}:${saved.path}`;
  assert.equal(findNatsServer(), PROVISIONED_NATS_SERVER);
  assert.match(natsServerVersion(), /^2\.1[2-9]\./);
});
