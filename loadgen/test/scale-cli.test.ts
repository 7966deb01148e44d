// loadgen:scale's own flags: bad values get a one-line error (exit code 2 from the CLI), and the capacity search
// steps as its design says (pure: no cluster).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { quotaUnsupported } from '@resident/infra/process';
import { NODE_COUNTS, parseScaleArgs } from '../src/scale/args.ts';
import { nextUsers, type SearchPlan, type Trial } from '../src/scale/search.ts';
import { refusedBy, runCli, SCALE_MAIN } from './support/cli.ts';

const refused = refusedBy(parseScaleArgs);

describe('loadgen:scale flags', () => {
  test('defaults: 1, 2, 4, 8 nodes, no machines, the play scenario, 100 ms', () => {
    const o = parseScaleArgs([]);
    assert.deepEqual(o.counts, NODE_COUNTS);
    assert.deepEqual(o.counts, [1, 2, 4, 8]);
    assert.equal(o.machines, undefined);
    assert.equal(o.boundMs, 100);
    assert.deepEqual(o.run.slice(0, 2), ['--scenario', 'play']);
  });

  test('--node-fds alone needs no root', () => {
    assert.deepEqual(parseScaleArgs(['--node-fds', '4096']).machines, { fds: 4096 });
  });

  test('bad values', () => {
    refused(['--node-cpu', '0'], /^--node-cpu must be a number from 0.1 to 64, got "0"$/);
    refused(['--node-cpu', 'fast'], /^--node-cpu must be a number/);
    refused(['--node-cpu', '-1'], /^--node-cpu must be a number/);
    refused(['--node-fds', '10'], /^--node-fds must be an integer from 64 to/);
    refused(['--bound', '0'], /^--bound must be an integer from 1 to 10,000/);
    refused(['--resolution', '0.9'], /^--resolution must be a number from 0.02 to 0.5/);
    refused(['--nodes', '1,1'], /^--nodes lists a count twice/);
    refused(['--nodes', '1,x'], /^--nodes must be an integer/);
    refused(['--arena-size', '501'], /^--arena-size must be an integer from 0 to 500/);
    refused(['--users', '10'], /^--users is set per step by loadgen:scale$/);
    refused(['--ramp=5s'], /^--ramp is set per step by loadgen:scale$/);
    refused(['--bound'], /^--bound needs a value$/);
  });

  test('--node-cpu where quotas cannot be used: one line saying why', {
    skip: quotaUnsupported() === undefined ? 'quotas work here (root, cgroup cpu controller)' : false,
  }, () => {
    refused(['--node-cpu', '0.2'], /^--node-cpu: /);
  });

  test('the CLI exits 2 with the message', async () => {
    const r = await runCli(['--node-cpu', 'lots'], 30_000, SCALE_MAIN);
    assert.equal(r.code, 2);
    assert.match(r.err, /^loadgen:scale: --node-cpu must be a number from 0.1 to 64, got "lots"\n$/);
  });
});

describe('capacity search', () => {
  const plan: SearchPlan = { start: 20, growth: 1.5, resolution: 0.1, min: 1, max: 1000, maxSteps: 8 };
  /** Steps the search to the end against a cluster that holds `capacity`. */
  const walk = (capacity: number, p = plan) => {
    const trials: Trial[] = [];
    for (let u = nextUsers(trials, p); u !== undefined; u = nextUsers(trials, p))
      trials.push({ users: u, pass: u <= capacity });
    return trials.map((t) => t.users);
  };

  test('grows by half while steps pass, then bisects to the resolution', () => {
    assert.deepEqual(walk(40), [20, 30, 45, 38, 42, 40]);
  });

  test('a failing first step shrinks, then bisects', () => {
    assert.deepEqual(walk(7), [20, 8, 3, 6, 7]);
  });

  test('stops at the ceiling and at the step limit', () => {
    assert.deepEqual(walk(5000, { ...plan, max: 50 }), [20, 30, 45, 50]);
    assert.equal(walk(40, { ...plan, maxSteps: 3 }).length, 3);
  });
});
