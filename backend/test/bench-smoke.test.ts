// Every `npm run bench:*` script at a smoke size, so none can stop working unnoticed: it completes (exit 0) and
// writes a well-formed result (shared/design/BENCHMARKS-FORMAT.md). No figure is judged: speed is for benchmarks.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readBenchResult } from '../testing/bench-format.ts';

const BACKEND = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The smoke size of each script, in seconds and counts, with the figures its result must name. */
const SMOKES = [
  {
    bench: 'objects',
    args: [
      ...['--seconds', '0.3', '--activations', '300', '--lmdb-activations', '1000'],
      ...['--idle-objects', '1000', '--failover-objects', '200'],
    ],
    figures: [
      ...['cross_node_calls_per_s', 'durable_mutations_per_s', 'activations_per_s', 'failover_lost_writes'],
      ...['state_writes_per_s_fsync_always', 'state_writes_per_s_interval_sync'],
    ],
  },
  {
    bench: 'matchmaking',
    args: ['--clients', '20', '--concurrency', '10', '--warmup', '6'],
    figures: [],
  },
  {
    bench: 'room',
    args: ['--seconds', '1', '--bots', '5', '--warmup', '1'],
    figures: ['tick_p99_ms', 'bytes_per_client_s_aoi'],
  },
] as const;

/** Runs the script as `npm run bench:<name>` does (tsx, from the backend folder); resolves with what it printed. */
function runBench(name: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const script = join('bench', name, 'main.ts');
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: BACKEND, timeout: 240_000, killSignal: 'SIGKILL', maxBuffer: 16 * 2 ** 20 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe('bench scripts at a smoke size', () => {
  for (const smoke of SMOKES) {
    test(`bench:${smoke.bench} ${smoke.args.join(' ')}: exits 0 with a well-formed result`, async () => {
      const file = join(dir, `${smoke.bench}.json`);
      const run = await runBench(smoke.bench, [...smoke.args, '--json', file]);
      assert.equal(run.code, 0, run.output.slice(-4000));
      const result = readBenchResult(file);
      assert.equal(result.bench, smoke.bench);
      assert.match(result.command, new RegExp(`^npm run bench:${smoke.bench} -- `));
      const names = result.figures.map((f) => f.name);
      for (const name of smoke.figures) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
      // The table on stdout carries the same figures.
      for (const name of names) assert.ok(run.output.includes(name), `${name} printed`);
    });
  }
});

describe('bench scripts refuse a bad smoke-size flag, before starting anything', () => {
  for (const [bench, flag, message] of [
    ['objects', ['--activations', '0'], /--activations must be a positive integer, got 0/],
    ['objects', ['--failover-objects', '1.5'], /--failover-objects must be a positive integer, got 1.5/],
    ['matchmaking', ['--warmup', 'many'], /--warmup must be a positive integer, got many/],
    ['room', ['--warmup', '0.5'], /--warmup must be a positive integer, got "0.5"/],
  ] as const) {
    test(`bench:${bench} ${flag.join(' ')}`, async () => {
      const run = await runBench(bench, flag);
      assert.notEqual(run.code, 0);
      assert.match(run.output, message);
    });
  }
});

describe('the result format check', () => {
  const good = {
    bench: 'x',
    when: '2026-11-26T15:00:00Z',
    machine: { cpus: 2, memGiB: 24, node: 'v20.20.2', os: 'Debian 12' },
    command: 'npm run bench:x',
    figures: [
      { name: 'calls_per_s', value: 1000, unit: 'calls/s', baseline: { name: 'base_per_s', value: 400 }, ratio: 2.5 },
    ],
  };
  const check = (value: unknown) => {
    const file = join(dir, 'check.json');
    writeFileSync(file, JSON.stringify(value));
    return () => readBenchResult(file);
  };

  test('accepts a result as the format describes it', () => {
    assert.equal(check(good)().figures[0]?.ratio, 2.5);
  });

  for (const [what, bad] of [
    ['no figures', { ...good, figures: [] }],
    ['a figure not measured (NaN, written as null)', { ...good, figures: [{ name: 'a', value: null, unit: 'ms' }] }],
    ['a name not in snake_case', { ...good, figures: [{ name: 'callsPerS', value: 1, unit: 'calls/s' }] }],
    ['a ratio without its baseline', { ...good, figures: [{ name: 'a', value: 1, unit: 'ms', ratio: 1 }] }],
    ['a ratio that is not value / baseline', { ...good, figures: [{ ...good.figures[0], ratio: 3 }] }],
    ['a time that is not ISO 8601', { ...good, when: 'yesterday' }],
    ['no machine', { ...good, machine: undefined }],
    ['figure names repeated', { ...good, figures: [good.figures[0], good.figures[0]] }],
  ] as const) {
    test(`refuses ${what}`, () => {
      assert.throws(check(bad), /is not a benchmark result/);
    });
  }
});
