// CPU time of a process tree from /proc: a parent's figure with its children counts what a forked child burned.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { cpuSeconds, treeCpuSeconds } from '../process/index.ts';

// The parent sleeps; its child spins for about a second of CPU, then both wait to be read.
const PARENT = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 1000; while (Date.now() < end); console.log("done"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'inherit', 'inherit'] });
setInterval(() => {}, 1000);
`;

test('treeCpuSeconds counts the children of a process; cpuSeconds only the process', async (t) => {
  // Its own process group, so that the test kills the child with it.
  const parent = spawn(process.execPath, ['-e', PARENT], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  t.after(() => {
    process.kill(-parent.pid!, 'SIGKILL');
  });
  await once(parent.stdout, 'data'); // the child has spun
  const own = cpuSeconds(parent.pid)!;
  const tree = treeCpuSeconds(parent.pid)!;
  assert.ok(tree - own >= 0.5, `the tree has ${tree} s, the parent alone ${own} s`);
  assert.equal(treeCpuSeconds(2 ** 22 + 12345), undefined, 'no such process');
});
