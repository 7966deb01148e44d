// `npm run loadgen:scale` at a smoke size (1 and 2 local nodes, a few users, seconds a step), so the scaling run
// cannot stop working unnoticed: it exits 0 and writes its curve (JSON, page, SVG), each step's report, and a
// summary in the benchmark format. Where quotas can be used (root, a cgroup cpu controller), each node runs as its
// own machine, so that path is exercised too. No figure is judged: the bound is set so loose every step passes.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readBenchResult } from '@resident/backend/testing/bench-format';
import { quotaUnsupported } from '@resident/infra/process';
import type { ScaleResult } from '../src/scale/report.ts';
import { checkHtml, readResult, runCli, SCALE_MAIN } from './support/cli.ts';

const quotas = quotaUnsupported() === undefined;

test(`loadgen:scale on 1 and 2 local nodes${quotas ? ', each its own machine' : ' (no quotas: cgroups cannot be used here)'}: the curve, each step, a well-formed summary`, {
  timeout: 180_000,
}, async () => {
  const out = mkdtempSync(join(tmpdir(), 'loadgen-scale-smoke-'));
  try {
    const summary = join(out, 'summary.json');
    const machines = quotas ? ['--node-cpu', '0.5', '--node-fds', '2048'] : ['--node-fds', '2048'];
    const search = ['--start-per-node', '2', '--max-per-node', '3', '--bound', '10000'];
    const args = ['--nodes', '1,2', ...machines, ...search, '--hold', '3s', '--warmup', '1s'];
    const r = await runCli([...args, '--out', out, '--json', summary], 170_000, SCALE_MAIN);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);

    const scale = JSON.parse(readFileSync(join(out, 'scale.json'), 'utf8')) as ScaleResult;
    assert.deepEqual(
      scale.curve.map((c) => c.nodes),
      [1, 2],
    );
    assert.deepEqual(
      scale.figures.map((f) => f.name),
      ['capacity_users_1_nodes', 'capacity_users_2_nodes'],
    );
    assert.ok(scale.charts.every((c) => c.x.join() === '1,2'));
    assert.ok(scale.steps.length >= 2);
    for (const step of scale.steps) {
      assert.equal(readResult(join(step.out, 'result.json')).setup.targets.length, step.nodes);
      assert.ok(existsSync(join(step.out, 'report.html')));
      assert.ok(step.box, 'the box was sampled');
      if (quotas) assert.equal(step.box.throttledPct.filter((v) => v !== undefined).length, step.nodes);
    }
    assert.equal(checkHtml(readFileSync(join(out, 'scale.html'), 'utf8')), undefined);
    assert.match(readFileSync(join(out, 'scale.svg'), 'utf8'), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const bench = readBenchResult(summary);
    assert.equal(bench.bench, 'loadgen-scale');
    assert.match(bench.command, /^npm run loadgen:scale -- /);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
