// Worker processes on this machine (child_process.fork), each a WorkerLink over IPC.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from '@resident/infra/process';
import type { FromWorker, ToWorker, WorkerLink } from './messages.ts';

const ENTRY = fileURLToPath(new URL('./fork-main.ts', import.meta.url));
/** A small young generation: an idle bot's memory is mostly old-space, and large semi-spaces only add slack. */
const EXEC_ARGV = ['--import', 'tsx', '--max-semi-space-size=2'];
const STOP_WAIT_MS = 30_000;

/** `execArgv`: Node options for the workers on top of the usual (e.g. --cpu-prof). */
export function forkWorkers(count: number, execArgv: readonly string[] = []): WorkerLink[] {
  return Array.from({ length: count }, (_, i) => forkWorker(`w${i + 1}`, execArgv));
}

function forkWorker(id: string, execArgv: readonly string[]): WorkerLink {
  const child = fork(ENTRY, [], {
    execArgv: [...execArgv, ...EXEC_ARGV],
    env: { ...process.env, LOADGEN_WORKER_ID: id },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child); // killed if this process exits first
  let gone: ((why: string) => void) | undefined;
  let exitWhy: string | undefined;
  child.once('exit', (code, signal) => {
    exitWhy = `worker process exited (${signal ?? `code ${code}`})`;
    gone?.(exitWhy);
  });
  return {
    id,
    where: `local pid ${child.pid}`,
    send: (msg: ToWorker) => {
      if (child.connected) child.send(msg);
    },
    onMessage: (handler) => child.on('message', (msg) => handler(msg as FromWorker)),
    onGone: (handler) => {
      gone = handler;
      if (exitWhy) handler(exitWhy);
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WAIT_MS);
      if (child.connected) child.disconnect();
      await exited;
      clearTimeout(timer);
    },
  };
}
