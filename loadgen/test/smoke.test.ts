// Smoke: about 500 bots of the mix scenario for 20 s against a local cluster of 2 real backend nodes (--local 2:
// NATS and the nodes are started and stopped by the loadgen itself). 0 errors, and a well-formed JSON and HTML report.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkHtml, readResult, runCli } from './support/cli.ts';

test('mix: 500 bots, 20 s, 2 local nodes: 0 errors, JSON and HTML reports, CPU profiles', {
  timeout: 150_000,
}, async () => {
  const out = mkdtempSync(join(tmpdir(), 'loadgen-smoke-'));
  const profiles = join(out, 'profiles');
  const summary = join(out, 'summary.json');
  const args = [
    '--local',
    '2',
    '--scenario',
    'mix',
    '--users',
    '500',
    '--ramp',
    '8s',
    '--hold',
    '12s',
    '--warmup',
    '2s',
  ];
  const r = await runCli([...args, '--out', out, '--json', summary, '--no-progress', '--profile', profiles], 140_000);
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  const cpuProfiles = (dir: string) => readdirSync(join(profiles, dir)).filter((f) => f.endsWith('.cpuprofile'));
  assert.ok(cpuProfiles('nodes').length >= 2, 'each node wrote a CPU profile as it stopped');
  assert.ok(cpuProfiles('generator').length >= 1, 'the worker wrote its CPU profile');
  assert.doesNotMatch(
    r.err,
    /exited unexpectedly|NATS is gone/,
    'stopping the local cluster is not reported as a death',
  );

  const result = readResult(join(out, 'result.json'));
  const fig = (name: string) => result.figures.find((f) => f.name === name);
  assert.equal(fig('errors')?.value, 0, JSON.stringify(result.errors));
  assert.equal(fig('concurrent_users_held')?.value, 500);
  assert.equal(result.scenario, 'mix');
  assert.equal(result.simulated, false);
  assert.equal(result.partial, false);
  assert.deepEqual(result.flags, []);
  assert.equal(result.nodes.length, 2, 'both nodes scraped');
  const rtt = fig('rtt_p99_ms');
  assert.ok(rtt && rtt.value > 0 && /input→ack/.test(rtt.note ?? ''), JSON.stringify(rtt));
  assert.ok(
    result.latency.window.ping && result.latency.window.cping,
    'app pings (arena) and Colyseus pings (lounge) measured',
  );
  assert.ok(result.timeline.length >= 20 && result.timeline.some((row) => row.active === 500));
  assert.ok(result.timeline.some((row) => Object.values(row.nodes).some((n) => n.cpuPct !== undefined)));

  // The join figures, and the per-user slopes named for a blend (mix is not idle users).
  const joins = fig('joins_per_s');
  assert.ok(
    joins && joins.value > 0 && /median of the per-second join counts/.test(joins.note ?? ''),
    JSON.stringify(joins),
  );
  assert.ok(result.joinRamp && result.joinRamp.seconds >= 3, JSON.stringify(result.joinRamp));
  const joinP99 = fig('join_p99_ms');
  assert.ok(joinP99 && joinP99.value > 0 && /join latency/.test(joinP99.note ?? ''), JSON.stringify(joinP99));
  assert.equal(fig('retries')?.value, 0, 'nodes that are not overloaded ask no bot to retry');
  for (const name of ['backend_bytes_per_user', 'backend_cpu_per_1k_users'])
    assert.match(fig(name)?.note ?? '', /a blend of 80 % idle .* and 20 % play/, name);
  assert.ok(!result.figures.some((f) => /per_idle_user|per_1k_idle_users/.test(f.name)), 'mix is not idle');

  // The summary is in the BENCHMARKS format, with the loadgen's own top-level fields.
  const s = JSON.parse(readFileSync(summary, 'utf8')) as Record<string, unknown>;
  for (const key of ['bench', 'when', 'machine', 'command', 'figures', 'scenario', 'simulated'])
    assert.ok(key in s, key);
  const names = (s.figures as { name: string }[]).map((f) => f.name);
  for (const name of [
    'concurrent_users_held',
    'errors',
    'joins_per_s',
    'join_p99_ms',
    'retries',
    'rtt_p99_ms',
    'backend_bytes_per_user',
    'backend_cpu_per_1k_users',
    'loadgen_bytes_per_bot',
  ]) {
    assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
  }
  assert.ok(existsSync(join(out, 'report.html')));
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.equal(checkHtml(html), undefined);
  assert.match(html, /Join rate \(joins per second\)/, 'the join-rate plot');
  assert.match(r.out, /retries 0/, 'the progress shows retries');
});
