// A runtime stopped while an activation is under way leaves no timer behind: the process exits on its own. A
// PresenceShard's sweep interval, set in onActivate after the stop, kept test processes alive (CI ran out of time).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

const CHILD = new URL('./stop-mid-activation-child.ts', import.meta.url).pathname;

async function exitsOnItsOwn(mode: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(killer);
  assert.match(out, /stopped/, 'the runtime stopped');
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, 'exited by itself, not killed after 15 s');
}

test('stopped while the object loads its state: no timer outlives the runtime', () => exitsOnItsOwn('loading'));
test('stopped as the object activates: no timer outlives the runtime', () => exitsOnItsOwn('activating'));
