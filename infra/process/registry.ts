// The one kill registry: every child process a supervisor (the cluster runner, a test, a benchmark) starts is
// SIGKILLed when that supervisor exits, and every temp dir it registered is removed, even when it throws mid-setup.
// Children that must also stop when the supervisor is SIGKILLed (no exit hook runs then) preload orphan-guard.ts.

import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { isDead, waitForThreads } from './threads.ts';

interface Tracked {
  readonly child: ChildProcess;
  /** Detached children lead their own process group: kill the group, so their own children go too. */
  readonly group: boolean;
}

const live = new Set<Tracked>();
const dirs = new Set<string>();
const cleanups = new Set<() => void>();
let exitHook = false;
let signalHooks = false;

/** Until it exits, `child` is killed when this process exits. */
export function track(child: ChildProcess, opts: { readonly group?: boolean } = {}): void {
  if (child.pid === undefined) return;
  installExitHook();
  const entry = { child, group: opts.group ?? false };
  live.add(entry);
  child.once('exit', () => live.delete(entry));
}

/** `dir` is removed when this process exits, unless `forgetDir` came first. */
export function removeOnExit(dir: string): void {
  installExitHook();
  dirs.add(dir);
}

export function forgetDir(dir: string): void {
  dirs.delete(dir);
}

/** `cleanup` runs (synchronously) when this process exits, after its children are dead, unless `forgetAtExit` came first. */
export function atExit(cleanup: () => void): void {
  installExitHook();
  cleanups.add(cleanup);
}

export function forgetAtExit(cleanup: () => void): void {
  cleanups.delete(cleanup);
}

/**
 * SIGINT and SIGTERM kill everything tracked, then end this process as the signal would. For processes without
 * their own graceful stop (tests, benchmarks, the NATS supervisor); the cluster runner handles signals itself.
 */
export function killAllOnSignals(): void {
  if (signalHooks) return;
  signalHooks = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      // Our listener suppressed the default "terminate" action; re-raise unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Synchronous, so it also runs in an 'exit' handler. */
export function killAll(): void {
  const entries = [...live];
  for (const entry of entries) kill(entry);
  // A process still dying can create files mid-rm, which leaves a half-deleted temp dir behind.
  for (const { child } of entries) if (child.pid !== undefined) waitForThreads(child.pid, isDead);
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort: we are exiting, and one stubborn dir must not keep the others from being removed.
    }
  }
  dirs.clear();
  for (const cleanup of [...cleanups]) {
    try {
      cleanup();
    } catch {
      // Best effort, as for the dirs.
    }
  }
  cleanups.clear();
}

function kill({ child, group }: Tracked): void {
  try {
    if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', killAll);
}
