// --local --stateless: the game's real rooms on nodes in stateless mode, their profiles, XP and leaderboard on the
// stateless twin (real PostgreSQL, Redis, twin instances) started for the run; the twin's CPU is reported beside
// the nodes' figures.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { postgresMissing } from '@resident/testing';
import { readResult, runCli } from './support/cli.ts';

test('play: 40 bots on a local node in stateless mode: 0 errors, the tier named and its CPU reported', {
  skip: postgresMissing() ?? false,
  timeout: 120_000,
}, async () => {
  const out = mkdtempSync(join(tmpdir(), 'loadgen-stateless-'));
  const args = ['--local', '1', '--stateless', '--scenario', 'play', '--users', '40', '--ramp', '4s', '--hold', '8s'];
  const r = await runCli([...args, '--warmup', '2s', '--out', out, '--no-progress'], 110_000);
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  assert.match(r.out, /stateless mode: the nodes' profiles, XP and leaderboard on the stateless twin \(1 instance/);
  assert.match(r.out, /stateless tier CPU while the bots ran: \d+\.\d % of a core \(api 1 [\d.]+ %, postgresql/);
  const result = readResult(join(out, 'result.json'));
  const fig = (name: string) => result.figures.find((f) => f.name === name)?.value;
  assert.equal(fig('errors'), 0, JSON.stringify(result.errors));
  assert.equal(fig('concurrent_users_held'), 40);
});
