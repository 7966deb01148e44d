// One node in its own process, started from a script that prints READY once it serves: killed, paused, drained and
// started again by tests and benchmarks (the runtime's, the game's, and a stock Colyseus server's).
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Child, nodeScriptArgs, type ReadyTarget } from '@resident/testing';

const NODE_SCRIPT = fileURLToPath(new URL('./runtime-node.ts', import.meta.url));
/**
 * A node transpiles the backend and may wait up to 15 s for placement to settle before it prints READY; with three
 * starting at once on two shared cores that took over 20 s (seen with a competing CPU-bound process).
 */
const START_TIMEOUT_MS = 60_000;

/** A node in its own process (runtime-node.ts, or `script`): it can be killed, paused, drained and started again. */
export class NodeProcess {
  private child: Child | undefined;

  constructor(
    readonly id: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly script = NODE_SCRIPT,
    private readonly args: readonly string[] = [],
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** What the `/ready` poller watches while it waits (the current process; `url` is the node's HTTP base). */
  readyTarget(url: string): ReadyTarget {
    if (!this.child) throw new Error(`node ${this.id} was never started`);
    return { name: this.id, url, child: this.child };
  }

  /** Resolves once the node prints READY. */
  async start(): Promise<void> {
    let ready = () => {};
    const printedReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const verbose = process.env.RESIDENT_TEST_VERBOSE;
    const child = new Child({
      name: this.id,
      command: process.execPath,
      args: nodeScriptArgs(this.script, this.args),
      env: { ...stringsOf(this.env), RESIDENT_NODE_ID: this.id },
      onLine: (stream, line) => {
        if (verbose) process.stderr.write(`[${this.id}] ${line}\n`);
        if (stream === 'out' && line.includes('READY')) ready();
      },
    });
    this.child = child;
    const timer = new AbortController();
    const outcome = await Promise.race([
      printedReady.then(() => 'ready' as const),
      child.exited.then(() => 'exited' as const),
      sleep(START_TIMEOUT_MS, 'timeout' as const, { signal: timer.signal }),
    ]);
    timer.abort();
    if (outcome === 'ready') return;
    const tail = child.lastLines().join('\n');
    if (outcome === 'exited')
      throw new Error(`node ${this.id} exited (${child.describeExit()}) before ready:\n${tail}`);
    throw new Error(`node ${this.id} not ready in ${START_TIMEOUT_MS / 1000} s:\n${tail}`);
  }

  kill(): Promise<void> {
    return this.signalAndWait('SIGKILL');
  }

  /** SIGTERM: the node drains (hands its objects over) and exits. */
  drain(): Promise<void> {
    return this.signalAndWait('SIGTERM');
  }

  pause(): void {
    this.child?.signal('SIGSTOP');
  }

  resume(): void {
    this.child?.signal('SIGCONT');
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child?.running) return;
    child.signal(signal);
    await child.exited;
  }
}

/** The environment as a child gets it: unset variables left out. */
function stringsOf(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
