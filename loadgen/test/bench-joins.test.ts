// bench:joins at a smoke size: Resident (--local 1) and the stock Colyseus baseline (redis-server + 1 stock node),
// 40 bots each; it exits 0 and writes a well-formed result naming both figures. No figure is judged. Bad flags are
// refused with one line and exit 2 before anything starts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readBenchResult } from '@resident/backend/testing/bench-format';
import { refusesBadFlags, runCli } from './support/cli.ts';

const MAIN = fileURLToPath(new URL('../bench/joins/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-joins-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('bench:joins at a smoke size: exits 0 with joins_per_s and its stock Colyseus baseline', {
  timeout: 200_000,
}, async () => {
  const file = join(dir, 'joins.json');
  const args = ['--nodes', '1', '--users', '40', '--ramp', '2s', '--hold', '1s', '--no-progress'];
  const run = await runCli([...args, '--out', join(dir, 'out'), '--json', file], 190_000, MAIN);
  assert.equal(run.code, 0, `${run.out.slice(-4000)}\n${run.err.slice(-4000)}`);
  const result = readBenchResult(file);
  assert.equal(result.bench, 'joins');
  assert.match(result.command, /^npm run bench:joins -- /);
  const joins = result.figures.find((f) => f.name === 'joins_per_s');
  assert.equal(joins?.baseline?.name, 'stock_colyseus_joins_per_s');
  for (const name of ['join_p99_ms', 'errors', 'retries', 'backend_cpu_ms_per_join']) {
    const fig = result.figures.find((f) => f.name === name);
    assert.equal(fig?.baseline?.name, `stock_colyseus_${name}`, name);
  }
  for (const f of result.figures) assert.ok(run.out.includes(f.name), `${f.name} printed`);
  assert.match(run.out, /stock Colyseus 0\.18/, 'the baseline is named in the table');
});

describe('bench:joins refuses a bad flag, before starting anything', () => {
  refusesBadFlags(MAIN, [
    [['--nodes', '0'], /--nodes must be an integer from 1 to 8, got "0"/],
    [['--users', 'lots'], /--users must be an integer from 1 to 1,000,000, got "lots"/],
    [['--ramp', 'soon'], /--ramp must be a duration/],
    [['--workers', '1', '--users', '40000'], /the cap is 18000/],
    [['--userz', '5'], /unknown option --userz/],
    [['extra'], /unexpected argument "extra"/],
  ]);
});
