// What operators paste comes from the same module as what the project runs: docs/NATS-SECURITY.md shows exactly
// what `npm run nats:config` prints, and what it prints is a config nats-server accepts.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findNatsServer } from '@resident/testing';
import { PLACEHOLDER_USERS, renderAuthorization, renderNscCommands } from '../nats/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(ROOT, 'shared/nats/print-config.ts');
const doc = readFileSync(join(ROOT, 'docs/NATS-SECURITY.md'), 'utf8');

const printConfig = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });

test('the doc shows the server block and the nsc commands the module renders, as the script prints them', () => {
  const block = renderAuthorization('prod', PLACEHOLDER_USERS);
  assert.ok(doc.includes(`\`\`\`conf\n${block}\n\`\`\``), 'docs/NATS-SECURITY.md: regenerate the conf block');
  assert.ok(doc.includes(`\`\`\`sh\n${renderNscCommands('prod')}\n\`\`\``), 'docs/NATS-SECURITY.md: the nsc block');
  assert.equal(printConfig('--cluster', 'prod').stdout, `${block}\n`);
  assert.equal(printConfig('--cluster', 'prod', '--nsc').stdout, `${renderNscCommands('prod')}\n`);
});

test('--nkeys writes a seed per role (owner-only) and a config nats-server accepts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'resident-nats-config-'));
  try {
    const run = printConfig('--cluster', 'prod', '--nkeys', dir);
    assert.equal(run.status, 0, run.stderr);
    for (const role of ['node', 'loadgen', 'metrics']) {
      assert.equal(statSync(join(dir, `${role}.nk`)).mode & 0o777, 0o600);
      assert.match(readFileSync(join(dir, `${role}.nk`), 'utf8'), /^SU[A-Z2-7]+\n$/);
    }
    const conf = join(dir, 'server.conf');
    writeFileSync(conf, `jetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }\n${run.stdout}`);
    const check = spawnSync(findNatsServer(), ['-t', '-c', conf], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stderr, /configuration file .* is valid/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing or invalid --cluster is a usage error', () => {
  for (const args of [[], ['--cluster', 'a.b']]) {
    const run = printConfig(...args);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^nats:config: --cluster NAME is required/);
  }
});
