// Machines (process/machines.ts) for real: a child in its own cgroup with the quota written, its open-file limit
// set by prlimit, and every cgroup of the run removed afterwards, also when the supervisor dies mid-run.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { Child } from '../process/child.ts';
import { MachineError, Machines, PERIOD_US, quotaUnsupported } from '../process/machines.ts';

const noQuota = quotaUnsupported();
const skip = noQuota ? `CPU quotas cannot be used here: ${noQuota}` : false;
const SLEEPER = ['-e', 'setInterval(() => {}, 1000)'];

function startChild(machines: Machines): Child {
  const { command, args } = machines.wrap(process.execPath, SLEEPER);
  return new Child({ name: 'busy', command, args, onLine: () => {} });
}

test('bad limits are refused with one line', () => {
  assert.throws(() => new Machines({ cpu: 0 }), /^MachineError: CPU per machine must be 0.1-64 cores, got 0$/);
  assert.throws(() => new Machines({ cpu: Number.NaN }), MachineError);
  assert.throws(() => new Machines({ fds: 10 }), /open files per machine must be an integer from 64 to/);
});

test('a child gets its own cgroup with the quota once capped, its fd limit, and the cgroups go on close', {
  skip,
}, async () => {
  const machines = new Machines({ cpu: 0.25, fds: 300 });
  const child = startChild(machines);
  try {
    machines.place('busy', child.pid!);
    const dir = machines.dir('busy');
    assert.equal(dirname(dir), machines.parent);
    const v1 = existsSync(join(dir, 'cpu.cfs_quota_us'));
    const quota = () =>
      v1
        ? readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim()
        : readFileSync(join(dir, 'cpu.max'), 'utf8').trim();
    assert.equal(quota(), v1 ? '-1' : `max ${PERIOD_US}`, 'no quota while the process boots');
    machines.cap('busy');
    const quotaUs = String(0.25 * PERIOD_US);
    assert.equal(quota(), v1 ? quotaUs : `${quotaUs} ${PERIOD_US}`);
    if (v1) assert.equal(readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8').trim(), String(PERIOD_US));
    assert.deepEqual(readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim().split('\n'), [String(child.pid)]);
    assert.match(readFileSync(`/proc/${child.pid}/limits`, 'utf8'), /^Max open files\s+300\s+300\s+files/m);
    assert.ok(machines.throttling('busy'), 'cpu.stat is readable');
  } finally {
    child.signal('SIGKILL');
    await child.exited;
    machines.close();
  }
  assert.equal(existsSync(machines.parent!), false, 'the run parent is removed');
});

test('a supervisor that throws after placing a child leaves no cgroup behind', { skip }, async () => {
  const script = `
    import { Child } from ${JSON.stringify(new URL('../process/child.ts', import.meta.url).href)};
    import { Machines } from ${JSON.stringify(new URL('../process/machines.ts', import.meta.url).href)};
    const m = new Machines({ cpu: 0.5 });
    const c = new Child({ name: 'x', command: process.execPath, args: ${JSON.stringify(SLEEPER)}, onLine: () => {} });
    m.place('x', c.pid);
    m.cap('x');
    console.log(m.parent);
    setTimeout(() => { throw new Error('mid-run failure'); }, 200);`;
  const sup = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  sup.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  const [code] = await once(sup, 'exit');
  assert.notEqual(code, 0);
  const parent = out.trim();
  assert.match(parent, /resident-\d+$/);
  assert.equal(existsSync(parent), false, `${parent} is still there`);
});

test("a parent left by a SIGKILLed run (its pid gone) is swept by the next run's machines", { skip }, () => {
  // A pid above the kernel's pid_max cannot be alive.
  const probe = new Machines({ cpu: 1 });
  probe.close();
  const stale = join(dirname(probe.parent!), 'resident-99999999');
  mkdirSync(join(stale, 'node1'), { recursive: true });
  const machines = new Machines({ cpu: 1 });
  try {
    assert.equal(existsSync(stale), false);
  } finally {
    machines.close();
  }
});
