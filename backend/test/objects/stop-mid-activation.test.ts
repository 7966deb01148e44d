// A runtime stopped before, while or after an activation leaves no timer behind: the process exits on its own. A
// PresenceShard's sweep interval, set in onActivate after the stop, kept test processes alive (CI ran out of time).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

const CHILD = new URL('./stop-mid-activation-child.ts', import.meta.url).pathname;

/** Runs the child in `mode`; it must exit by itself (code 0) within 15 s. Returns what it printed. */
async function exitsOnItsOwn(mode: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(killer);
  assert.match(out, /stopped/, 'the runtime stopped');
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, `exited by itself, not killed after 15 s:\n${out}`);
  return out;
}

test('calls that land while the runtime drains, after its activations closed, are refused and activate nothing', async () => {
  assert.match(await exitsOnItsOwn('draining'), /refused Unavailable/);
});

test('stopped while the object loads its state: onActivate never runs', async () => {
  assert.doesNotMatch(await exitsOnItsOwn('loading'), /onActivate/);
});

test('stopped while onActivate runs: the timer it sets after the stop is cleared', async () => {
  assert.match(await exitsOnItsOwn('activating'), /onActivate/);
});
