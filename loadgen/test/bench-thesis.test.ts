// bench:thesis at a smoke size: both stacks (Resident: NATS + 1 node; the stateless twin: PostgreSQL, Redis, 1 API
// instance), a few hundred players, one second per step; it exits 0, writes a well-formed result with every
// figure and its stateless baseline, the HTML report and the chart. No figure is judged. Bad flags are refused
// with one line and exit 2 before anything starts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readBenchResult } from '@resident/backend/testing/bench-format';
import { refusesBadFlags, runCli, startCli, waitForOutput } from './support/cli.ts';

const MAIN = fileURLToPath(new URL('../bench/thesis/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-thesis-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FIGURES = [
  'thesis_throughput_at_p99_50ms',
  'thesis_p99_ms_at_fixed_rate',
  'thesis_cpu_ms_per_1k_ops',
  'thesis_stale_reads',
  'thesis_lost_updates',
  'thesis_game_logic_loc',
];

test('bench:thesis at a smoke size: exits 0 with every figure and its stateless baseline', {
  timeout: 300_000,
}, async () => {
  const file = join(dir, 'thesis.json');
  const out = join(dir, 'out');
  const args = ['--players', '300', '--app', '1', '--rates', '100,200', '--concurrency', '2,8', '--step', '1'];
  const checks = ['--warmup', '1', '--check-players', '3', '--check-seconds', '1'];
  const run = await runCli([...args, ...checks, '--out', out, '--json', file], 290_000, MAIN);
  assert.equal(run.code, 0, `${run.out.slice(-4000)}\n${run.err.slice(-4000)}`);
  const result = readBenchResult(file);
  assert.equal(result.bench, 'thesis');
  assert.match(result.command, /^npm run bench:thesis -- /);
  for (const name of FIGURES) {
    const fig = result.figures.find((f) => f.name === name);
    assert.equal(fig?.baseline?.name, name.replace('thesis_', 'stateless_'), name);
    assert.ok(run.out.includes(name), `${name} printed`);
  }
  assert.match(run.out, /per play session 36 operations: enter 2\.8 %/, 'the mix is stated');
  assert.match(run.out, /JetStream state, fsync before each ack: sync_interval always/, 'durability stated');
  assert.match(run.out, /backend\/baselines\/stateless\/store\.ts/, 'the game-logic files of each side are listed');
  assert.ok(existsSync(join(out, 'latency.svg')), 'the chart for the README');
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg/);
});

/** Every process under `pid`, from `pgrep -P`, deepest last. */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

test('bench:thesis stopped by SIGTERM takes PostgreSQL, Redis and the twin down with it', {
  timeout: 120_000,
}, async () => {
  const args = ['--players', '300', '--app', '1', '--first', 'stateless', '--step', '30', '--out', join(dir, 'sig')];
  const run = startCli(args, 110_000, MAIN);
  await waitForOutput(run, /stateless: .*PostgreSQL/, 90_000);
  const pid = run.child.pid ?? assert.fail('no pid');
  const started = descendants(pid);
  assert.ok(started.length >= 3, `PostgreSQL, Redis and the API run under the bench (${started.length} processes)`);
  run.child.kill('SIGTERM');
  await run.done;
  const deadline = Date.now() + 10_000;
  while (started.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(started.filter(alive), [], 'no process of the run is left');
});

describe('bench:thesis refuses a bad flag, before starting anything', () => {
  refusesBadFlags(MAIN, [
    [['--app', '0'], /--app must be an integer from 1 to 8, got "0"/],
    [['--players', 'many'], /--players must be an integer/],
    [['--rates', '100,50'], /--rates must rise: got 100,50/],
    [['--concurrency', '4,x'], /--concurrency must be an integer/],
    [['--stepz', '5'], /unknown option --stepz/],
    [['extra'], /unexpected argument "extra"/],
    [['--jetstream-sync', 'sometimes'], /--jetstream-sync must be always or interval, got "sometimes"/],
    [['--first', 'twin'], /--first must be resident or stateless, got "twin"/],
    [['--seed', 'x'], /--seed must be an integer from 0 to 4,294,967,295, got "x"/],
  ]);
});
