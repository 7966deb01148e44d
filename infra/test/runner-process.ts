// The cluster runner as a real child process, as `npm run cluster` starts it, with its output captured.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../cluster/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class Runner {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  stdout = '';
  stderr = '';

  constructor(args: readonly string[]) {
    // NO_COLOR unset on purpose: output to a pipe must come without color codes anyway.
    const { NO_COLOR: _, ...env } = process.env;
    this.child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk) => {
      this.stdout += chunk;
    });
    this.child.stderr?.on('data', (chunk) => {
      this.stderr += chunk;
    });
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code, signal }) as Exit);
  }

  /** The first match of `pattern`; fails with all output so far if it never shows up or the runner exits. */
  async waitFor(pattern: RegExp, ms: number, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    for (;;) {
      const match = this[stream].match(pattern);
      if (match) return match;
      if (exited || Date.now() > deadline) {
        throw new Error(`${exited ? 'runner exited' : `timed out after ${ms} ms`} before ${pattern}:\n${this.all()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Its exit, or SIGKILL (of it and of every child it started) after `ms`, which then fails the test. */
  async exitWithin(ms: number): Promise<Exit> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** After a failed assertion: a graceful stop if it comes soon, so no node outlives the test; else SIGKILL. */
  async dispose(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    await this.exitWithin(30_000);
  }

  all(): string {
    return `--- stdout ---\n${this.stdout.slice(-6000)}\n--- stderr ---\n${this.stderr.slice(-6000)}`;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Pids of processes whose command line contains `text` as a whole argument (Linux /proc). */
export function processesWithArgument(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(text);
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

/** A port p such that p and p+1 were both free a moment ago. */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const first = await listen(0);
    const port = (first.address() as { port: number }).port;
    const second = await listen(port + 1).catch(() => undefined);
    await Promise.all([first, second].map((s) => s && close(s)));
    if (second && port + 1 <= 65535) return port;
  }
}

export function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
