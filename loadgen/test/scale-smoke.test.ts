// `npm run loadgen:scale` at a smoke size (10 users per node, clusters of 1 and 2 nodes, seconds each), so the
// scaling run cannot stop working unnoticed: it exits 0 and writes its curve, each step's report, and a summary in
// the benchmark format. No figure is judged beyond the steps having run.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readBenchResult } from '@resident/backend/testing/bench-format';
import { checkHtml, readResult, runCli, SCALE_MAIN } from './support/cli.ts';

test('loadgen:scale, 10 users per node on 1 and 2 local nodes: the curve, each step, a well-formed summary', {
  timeout: 150_000,
}, async () => {
  const out = mkdtempSync(join(tmpdir(), 'loadgen-scale-smoke-'));
  try {
    const summary = join(out, 'summary.json');
    const args = ['--nodes', '1,2', '--users-per-node', '10', '--ramp', '1s', '--hold', '3s', '--warmup', '1s'];
    const r = await runCli([...args, '--out', out, '--json', summary, '--no-progress'], 140_000, SCALE_MAIN);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);

    const scale = JSON.parse(readFileSync(join(out, 'scale.json'), 'utf8')) as {
      nodes: number[];
      charts: { x: number[] }[];
      runs: unknown[];
    };
    assert.deepEqual(scale.nodes, [1, 2]);
    assert.equal(scale.runs.length, 2);
    assert.ok(scale.charts.length > 0 && scale.charts.every((c) => c.x.join() === '1,2'));
    assert.equal(checkHtml(readFileSync(join(out, 'scale.html'), 'utf8')), undefined);
    for (const n of [1, 2]) {
      const step = readResult(join(out, `nodes-${n}`, 'result.json'));
      assert.equal(step.setup.local, n);
      assert.ok(existsSync(join(out, `nodes-${n}`, 'report.html')));
    }
    // --json goes to each step; the last one's summary is what is left.
    assert.match(readBenchResult(summary).command, /^npm run loadgen:scale -- /);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
