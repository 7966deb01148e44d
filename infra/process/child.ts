// Supervised child processes: spawned in their own process group, output split into lines, exit observed, killed
// when the supervisor exits (registry.ts).

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { track } from './registry.ts';

const TAIL_LINES = 20;
const OUTPUT_GRACE_MS = 500;

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** Extra environment variables, on top of this process's own. */
  readonly env?: Readonly<Record<string, string>>;
  /** Every complete line the child writes, without its newline. */
  readonly onLine: (stream: 'out' | 'err', line: string) => void;
}

const ORPHAN_GUARD = pathToFileURL(new URL('./orphan-guard.ts', import.meta.url).pathname).href;

/**
 * Arguments that run a TypeScript `script` in a child Node process that stops by itself (as on SIGTERM) when its
 * supervisor dies without stopping it: the supervisor holds its stdin open (orphan-guard.ts). `execArgv`: Node's
 * own options, before the script (e.g. --cpu-prof).
 */
export function nodeScriptArgs(
  script: string,
  args: readonly string[] = [],
  execArgv: readonly string[] = [],
): string[] {
  return [...execArgv, '--import', 'tsx', '--import', ORPHAN_GUARD, script, ...args];
}

export class Child {
  readonly name: string;
  readonly pid: number | undefined;
  /** Settles when the process has exited (or failed to spawn); never rejects. */
  readonly exited: Promise<ExitStatus>;
  readonly #child: ChildProcess;
  readonly #tail: string[] = [];
  #status: ExitStatus | undefined;

  constructor(opts: SpawnOptions) {
    this.name = opts.name;
    // Own process group: a Ctrl-C in the terminal reaches only the runner, which then stops children in order.
    this.#child = spawn(opts.command, [...opts.args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.#child.pid;
    this.exited = this.#observeExit();
    this.#readLines('out', opts.onLine);
    this.#readLines('err', opts.onLine);
    // Last resort when the supervisor dies of an error: no child may outlive it.
    track(this.#child, { group: true });
  }

  get running(): boolean {
    return this.#status === undefined && this.pid !== undefined;
  }

  /** The last lines the child wrote, for error messages. */
  lastLines(): string[] {
    return [...this.#tail];
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.#child.kill(signal);
  }

  /** Also reaches anything the child started itself. */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  /** Closing stdin is how the runner asks a child that watches it to stop. */
  closeStdin(): void {
    this.#child.stdin?.end();
  }

  /** True if the child exited within `ms`. */
  async waitExit(ms: number): Promise<boolean> {
    const timer = new AbortController();
    const outcome = await Promise.race([
      this.exited.then(() => 'exited' as const),
      sleep(ms, 'timeout' as const, { signal: timer.signal }),
    ]);
    timer.abort();
    return outcome === 'exited';
  }

  describeExit(): string {
    const status = this.#status;
    if (status === undefined) return 'still running';
    if (status.signal) return `killed by ${status.signal}`;
    return status.code === null ? 'failed to start' : `exit code ${status.code}`;
  }

  #observeExit(): Promise<ExitStatus> {
    return new Promise((resolve) => {
      const settle = (status: ExitStatus) => {
        this.#status ??= status;
        resolve(this.#status);
      };
      this.#child.once('exit', (code, signal) => {
        // Let its last lines through first; a grandchild holding the pipes open must not delay us for long.
        void Promise.race([this.#outputClosed(), sleep(OUTPUT_GRACE_MS)]).then(() => settle({ code, signal }));
      });
      this.#child.once('error', (err) => {
        this.#remember(`spawn failed: ${err.message}`);
        if (this.pid === undefined) settle({ code: null, signal: null });
      });
      // A child that exits while we write to its stdin must not crash the runner with EPIPE.
      this.#child.stdin?.on('error', () => {});
    });
  }

  #outputClosed(): Promise<unknown> {
    const closed = (stream: Readable | null) => (stream && !stream.closed ? once(stream, 'close') : undefined);
    return Promise.all([closed(this.#child.stdout), closed(this.#child.stderr)]);
  }

  #readLines(stream: 'out' | 'err', onLine: SpawnOptions['onLine']): void {
    const input = stream === 'out' ? this.#child.stdout : this.#child.stderr;
    if (!input) return;
    createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      this.#remember(line);
      onLine(stream, line);
    });
  }

  #remember(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
  }
}
