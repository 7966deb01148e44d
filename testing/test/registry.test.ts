// The kill registry: nothing a test process started outlives it, whether it exits, is signalled or is SIGKILLed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isAlive } from './pids.ts';

const SCRIPT = fileURLToPath(new URL('./registry-child.ts', import.meta.url));

/** Starts the test process; resolves with what it started once it says so. */
async function start(arg?: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...(arg ? [arg] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const started = JSON.parse(line.toString()) as { pids: number[]; dir: string };
  return { child, ...started };
}

async function allGone(pids: readonly number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!pids.some(isAlive)) return true;
    await sleep(50);
  }
  return false;
}

test('a test process that exits without stopping anything leaves no process and no temp dir', async () => {
  const { child, pids, dir } = await start('exit');
  await once(child, 'exit');
  assert.equal(await allGone(pids, 5_000), true, `still running: ${pids.filter(isAlive)}`);
  assert.equal(existsSync(dir), false);
});

test('SIGTERM to a test process kills what it started', async () => {
  const { child, pids, dir } = await start();
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [, signal] = await exited;
  assert.equal(signal, 'SIGTERM', 'it still ends as the signal would');
  assert.equal(await allGone(pids, 5_000), true, `still running: ${pids.filter(isAlive)}`);
  assert.equal(existsSync(dir), false);
});

test('a supervised Node child stops by itself when its parent is SIGKILLed', async () => {
  const { child, pids, dir } = await start();
  const sleeper = pids[2]!;
  child.kill('SIGKILL');
  await once(child, 'exit');
  // No exit hook runs on SIGKILL; the orphan guard sees stdin close. (The servers are left to the OS here.)
  assert.equal(await allGone([sleeper], 10_000), true, 'the orphaned child is still running');
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
