// Thread states from /proc: signals are delivered asynchronously, so a caller that must know a process has
// really stopped (SIGSTOP) or died (SIGKILL) before going on waits here. Linux-only; elsewhere it returns at once.

import { readdirSync, readFileSync } from 'node:fs';

export const THREAD_WAIT_MS = 2_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export const isStopped = (state: string): boolean => state === 'T' || state === 't';
export const isDead = (state: string): boolean => state === 'Z' || state === 'X';

/**
 * Blocks until every thread of pid is in a state accepted by `done`. Synchronous so it also works in 'exit'
 * handlers. Returns true once that holds or pid is gone (or there is no /proc), false after THREAD_WAIT_MS.
 */
export function waitForThreads(pid: number, done: (state: string) => boolean): boolean {
  const deadline = Date.now() + THREAD_WAIT_MS;
  while (Date.now() < deadline) {
    const states = threadStates(pid);
    if (states === undefined || states.every(done)) return true;
    Atomics.wait(sleeper, 0, 0, 1);
  }
  return false;
}

function threadStates(pid: number): string[] | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  // A thread may vanish between readdir and read; it no longer has a state to wait for.
  return tids.map((tid) => threadState(`/proc/${pid}/task/${tid}/stat`)).filter((s) => s !== undefined);
}

function threadState(statFile: string): string | undefined {
  try {
    const stat = readFileSync(statFile, 'utf8');
    // The state follows the parenthesised command name, which may itself contain spaces or parentheses.
    const end = stat.lastIndexOf(')');
    return stat.slice(end + 2, end + 3);
  } catch {
    return undefined;
  }
}
