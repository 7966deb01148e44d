// The figures computed from a run, on synthetic timelines: joins_per_s (median over the ramp's seconds), the CPU and
// memory slopes per user, and their names by what the users did (idle, playing, a blend).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunRecord } from '../src/coordinator/run.ts';
import { Histogram } from '../src/metrics/histogram.ts';
import { COUNTERS, type CounterName, type WorkerSample } from '../src/metrics/sample.ts';
import type { NodeSample } from '../src/metrics/scrape.ts';
import type { TimelineRow } from '../src/metrics/timeline.ts';
import { joinFigures, joinRamp, median } from '../src/report/joins.ts';
import { idleCpu, userKind } from '../src/report/per-user.ts';
import { buildResult, type LoadgenResult, type Setup } from '../src/report/result.ts';
import { applyBlend, loadScenario, type Scenario } from '../src/scenarios/scenario.ts';
import { rampTarget, type WorkerPlan } from '../src/workers/plan.ts';

const zero = () => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<CounterName, number>;

/** Timeline rows from per-second join counts; users owed `target` once the ramp (rampS) is over. */
function rows(joins: number[], target: number, rampS: number): TimelineRow[] {
  let active = 0;
  return joins.map((j, t) => {
    active += j;
    const rates = { ...zero(), joins: j };
    const owed = Math.min(target, Math.floor((target * (t + 1)) / rampS));
    return {
      t,
      target: owed,
      active,
      joining: 0,
      rates,
      p: {},
      genCpuPct: 0,
      genRssBytes: 0,
      nodes: {},
      inWindow: false,
    };
  });
}

test('median: odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('joins_per_s: the seconds before the first join are not counted', () => {
  // Four seconds of logins and handshakes, then a rising rate: counting the zeros would say 10, not 30.
  const ramp = joinRamp(rows([0, 0, 0, 0, 10, 20, 30, 40, 50], 150, 9), 9000)!;
  assert.deepEqual(ramp, { fromS: 4, toS: 8, seconds: 5, median: 30, min: 10, max: 50 });
});

test('joins_per_s: a cluster slower than the ramp is measured until it catches up, not past it', () => {
  // A 3 s ramp asks for 520 users; the cluster does 100/s and catches up in second 6. A late straggler (second 9,
  // a failed bot's second attempt) comes after a second without joins, with the users all there: not counted.
  const r = rows([20, 40, 60, 100, 100, 100, 100, 0, 0, 5], 520, 3);
  const ramp = joinRamp(r, 3000)!;
  assert.equal(ramp.fromS, 0);
  assert.equal(ramp.toS, 6);
  assert.equal(ramp.median, 100, 'over seconds 0-6; the schedule alone (0-2) would say 40');
});

test('joins_per_s: stops once every owed user is in, even with joins after (node died: re-joins are not joins)', () => {
  const r = rows([50, 50, 50, 50, 7, 7], 200, 4);
  assert.equal(joinRamp(r, 4000)!.toS, 3);
});

test('joins_per_s with no join at all: 0, said so', () => {
  const r = rows([0, 0, 0], 10, 3);
  assert.equal(joinRamp(r, 3000), undefined);
  const agg = { rows: r, total: { counters: zero(), errorKinds: {}, errorSamples: [] }, latency: {} };
  const [f] = joinFigures(agg as never, undefined, 10, 3000);
  assert.equal(f!.name, 'joins_per_s');
  assert.equal(f!.value, 0);
  assert.match(f!.note!, /no bot joined; the ramp asked for 3\.3 joins\/s/);
});

test('user kinds: idle without inputs, playing with, a blend named with its shares', () => {
  const sockets = (name: string) => loadScenario(name);
  assert.equal(userKind(sockets('idle')).noun, 'idle_user');
  assert.equal(userKind(sockets('play')).noun, 'playing_user');
  const mix = userKind(sockets('mix'));
  assert.equal(mix.noun, 'user');
  assert.match(mix.who, /80 % idle \(lounge, no inputs\) and 20 % play \(arena, inputs at 15 Hz\)/);
  // A blend that leaves only one kind is that kind.
  assert.equal(userKind(applyBlend(sockets('mix'), 'idle=100,play=0')).noun, 'idle_user');
  assert.equal(userKind(applyBlend(sockets('mix'), 'idle=0,play=1')).noun, 'playing_user');
  assert.equal(userKind(sockets('objects')).noun, 'idle_user');
  assert.equal(userKind(undefined).noun, 'user');
});

// A synthetic run: 1,000 users over a 10 s ramp, a 20 s hold with a 5 s warm-up, one worker, two nodes.
const T0 = 1_700_000_000_000;
const USERS = 1000;
const JOINS = [0, 40, 100, 100, 120, 90, 100, 100, 110, 100, 140]; // 1,000 in all
const RAMP_MS = 10_000;
const HOLD_MS = 20_000;
const WARMUP_MS = 5_000;

const activeAt = (ms: number) => {
  const done = Math.floor((ms - T0) / 1000);
  return JOINS.slice(0, Math.max(0, done)).reduce((a, b) => a + b, 0);
};

/** Each node's CPU (% of one core): 2 % idle, 40 % while the ramp's joins run, then 2 % + 0.15 % per 1,000 users. */
function nodeCpuPct(ms: number): number {
  if (ms < T0) return 2;
  if (ms < T0 + RAMP_MS + 1000) return 40;
  return 2 + (0.15 * activeAt(ms)) / 1000;
}

function nodeSamples(firstAt: number): NodeSample[] {
  const out: NodeSample[] = [];
  for (const node of ['http://n1', 'http://n2']) {
    let cpuSeconds = 100;
    let last: number | undefined;
    for (let at = firstAt; at <= T0 + RAMP_MS + HOLD_MS; at += 1000) {
      const before = cpuSeconds;
      if (last !== undefined) for (let ms = last; ms < at; ms += 10) cpuSeconds += nodeCpuPct(ms) / 100 / 100;
      // As the scraper computes it: CPU since the previous scrape.
      const cpuPct = last === undefined ? undefined : (100_000 * (cpuSeconds - before)) / (at - last);
      // Per node: 50 MB + 1,500 B per user of the whole run (3,000 B per user for the two).
      out.push({
        node,
        at,
        cpuSeconds,
        rssBytes: 50e6 + 1500 * activeAt(at),
        ...(cpuPct === undefined ? {} : { cpuPct }),
      });
      last = at;
    }
  }
  return out;
}

function workerSamples(): WorkerSample[] {
  const out: WorkerSample[] = [];
  const plan = { t0: T0, rampMs: RAMP_MS, users: USERS };
  for (let k = 0; k < (RAMP_MS + HOLD_MS) / 1000; k++) {
    const at = T0 + 1000 * (k + 1) - 10;
    const joins = JOINS[k] ?? 0;
    const h = new Histogram();
    for (let i = 0; i < joins; i++) h.record(100 + (i % 50)); // 100-149 ms
    out.push({
      worker: 'w0',
      seq: k + 1,
      at,
      intervalMs: 1000,
      target: rampTarget(plan, at),
      active: activeAt(at + 10),
      joining: 0,
      counters: { ...zero(), joins, logins: joins },
      errorKinds: {},
      errorSamples: [],
      hist: joins ? { join: h.toSparse() } : {},
      cpuMicros: 100_000,
      rssBytes: 80e6 + 1500 * activeAt(at + 10),
      heapUsedBytes: 0,
    });
  }
  return out;
}

function run(scenario: Scenario, opts: { nodesFrom?: number } = {}): LoadgenResult {
  const rampEnd = T0 + RAMP_MS;
  const record: RunRecord = {
    runId: 'synthetic',
    t0: T0,
    window: { start: rampEnd + WARMUP_MS, end: rampEnd + HOLD_MS },
    plans: [{ scenario } as WorkerPlan],
    workers: [{ id: 'w0', where: 'here' }],
    samples: workerSamples(),
    flags: [],
    endedAt: rampEnd + HOLD_MS,
    stopReason: 'completed',
  };
  const setup: Setup = {
    command: 'synthetic',
    scenario: { name: scenario.name, description: scenario.description, kind: scenario.kind },
    users: USERS,
    rampMs: RAMP_MS,
    holdMs: HOLD_MS,
    warmupMs: WARMUP_MS,
    targets: ['http://n1', 'http://n2'],
    local: 2,
    workers: record.workers,
    versions: {},
  };
  // The scraper starts 1.5 s before the ramp (the coordinator's start delay).
  return buildResult(record, nodeSamples(opts.nodesFrom ?? T0 - 1500), setup);
}

const fig = (r: LoadgenResult, name: string) => r.figures.find((f) => f.name === name);

test('an idle run: join figures, CPU and memory slopes per idle user, the generator per bot', () => {
  const r = run(loadScenario('idle'));
  const names = r.figures.map((f) => f.name);
  const joins = fig(r, 'joins_per_s')!;
  // Seconds 1-10 (the first join to the catch-up in second 10): [40, 100, 100, 120, 90, 100, 100, 110, 100, 140].
  assert.equal(joins.value, 100, joins.note);
  assert.match(joins.note!, /from \+1 s to \+10 s \(10 s/);
  assert.match(joins.note!, /the ramp asked for 100 joins\/s/);
  assert.deepEqual(r.joinRamp, { fromS: 1, toS: 10, seconds: 10, median: 100, min: 40, max: 140 });
  const p99 = fig(r, 'join_p99_ms')!;
  assert.ok(p99.value >= 145 && p99.value <= 150, String(p99.value));
  assert.equal(fig(r, 'retries')?.value, 0);
  const cpu = fig(r, 'backend_cpu_per_1k_idle_users')!;
  // 0.15 % per 1,000 users on each of two nodes; the ramp's 40 % is not in it.
  assert.equal(cpu.value, 0.3, cpu.note);
  assert.equal(cpu.target, '<= 0.1');
  assert.match(cpu.note!, /4 % in all over 1 s/);
  assert.equal(fig(r, 'backend_bytes_per_idle_user')?.value, 3000);
  assert.equal(fig(r, 'loadgen_bytes_per_bot')?.value, 1500);
  for (const gone of ['backend_bytes_per_user', 'backend_bytes_per_playing_user', 'backend_cpu_per_1k_users'])
    assert.ok(!names.includes(gone), gone);
});

test('a play run names its slopes per playing user; a mix run per user, with the blend in the note', () => {
  const play = run(loadScenario('play'));
  assert.equal(fig(play, 'backend_bytes_per_playing_user')?.value, 3000);
  assert.equal(fig(play, 'backend_cpu_per_1k_playing_users')?.value, 0.3);
  assert.equal(fig(play, 'backend_bytes_per_idle_user'), undefined, 'a playing user is not an idle user');
  assert.equal(fig(play, 'backend_cpu_per_1k_playing_users')?.target, undefined, 'the targets are for idle users');

  const mix = run(loadScenario('mix'));
  const bytes = fig(mix, 'backend_bytes_per_user')!;
  assert.equal(bytes.value, 3000);
  assert.match(bytes.note!, /a blend of 80 % idle .* and 20 % play .*: neither an idle nor a playing user's cost/);
  assert.match(fig(mix, 'backend_cpu_per_1k_users')!.note!, /a blend of 80 % idle/);
  assert.ok(!mix.figures.some((f) => /idle_user|playing_user/.test(f.name)));
});

test('the objects scenario: per simulated idle user, no join figures', () => {
  const r = run(loadScenario('objects'));
  assert.match(fig(r, 'backend_bytes_per_idle_user')!.unit, /simulated/);
  assert.match(fig(r, 'backend_cpu_per_1k_idle_users')!.unit, /simulated/);
  for (const name of ['joins_per_s', 'join_p99_ms', 'retries', 'loadgen_bytes_per_bot'])
    assert.equal(fig(r, name), undefined, name);
});

test('no node reading before the ramp: no CPU slope (a reading that spans joins would hide their cost)', () => {
  const r = run(loadScenario('idle'), { nodesFrom: T0 + 200 });
  assert.equal(fig(r, 'backend_cpu_per_1k_idle_users'), undefined);
  assert.equal(fig(r, 'backend_bytes_per_idle_user')?.value, 3000, 'memory has its own baseline');
  // From the cumulative CPU seconds, over the scrapes before the ramp only.
  assert.equal(idleCpu(nodeSamples(T0 - 1500), ['http://n1', 'http://n2'], T0)?.pct.toFixed(6), '4.000000');
  assert.equal(idleCpu(nodeSamples(T0 - 200), ['http://n1'], T0), undefined, 'one scrape before the ramp: no span');
});
