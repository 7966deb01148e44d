// One nats-server process: spawned on its config file with its log in a file, waited on until ready, and stopped,
// killed, restarted, paused (SIGSTOP) or resumed. Killed with the supervisor (process/registry.ts).

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { track } from '../process/registry.ts';
import { isStopped, THREAD_WAIT_MS, waitForThreads } from '../process/threads.ts';
import { type ServerLayout, storeDirOf } from './config.ts';
import { notReadyReason, type ReadinessGoal } from './probes.ts';

const READY_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 50;
const STOP_GRACE_MS = 10_000;
const LOG_TAIL_LINES = 30;

export interface NatsServerHandle {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** Base URL of the HTTP monitoring endpoint, e.g. http://127.0.0.1:PORT */
  readonly monitorUrl: string;
  readonly storeDir: string;
  readonly logFile: string;
  /** The port other servers open routes to (clustered servers only). */
  readonly routePort: number | undefined;
  readonly running: boolean;
  readonly pid: number | undefined;
  kill(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
}

export class NatsStartupError extends Error {
  readonly portInUse: boolean;
  constructor(message: string, portInUse: boolean) {
    super(message);
    this.name = 'NatsStartupError';
    this.portInUse = portInUse;
  }
}

export class NatsServer implements NatsServerHandle {
  readonly #layout: ServerLayout;
  readonly #bin: string;
  readonly #goal: (self: NatsServer) => ReadinessGoal;
  #child: ChildProcess | undefined;
  #paused = false;

  constructor(layout: ServerLayout, bin: string, goal: (self: NatsServer) => ReadinessGoal) {
    this.#layout = layout;
    this.#bin = bin;
    this.#goal = goal;
  }

  get name(): string {
    return this.#layout.name;
  }
  get port(): number {
    return this.#layout.port;
  }
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
  get monitorUrl(): string {
    return `http://127.0.0.1:${this.#layout.monitorPort}`;
  }
  get storeDir(): string {
    return storeDirOf(this.#layout);
  }
  get routePort(): number | undefined {
    return this.#layout.cluster?.port;
  }
  get logFile(): string {
    return join(this.#layout.dir, 'nats-server.log');
  }
  get configFile(): string {
    return join(this.#layout.dir, 'nats-server.conf');
  }
  get running(): boolean {
    const child = this.#child;
    return child?.pid !== undefined && child.exitCode === null && child.signalCode === null;
  }
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  spawn(): void {
    const log = openSync(this.logFile, 'a');
    try {
      const child = spawn(this.#bin, ['-c', this.configFile], { stdio: ['ignore', log, log] });
      // Spawn failures arrive as 'error' events; without a listener they would crash the supervisor.
      child.on('error', () => {});
      track(child);
      // A test file that forgets close() should still exit (the exit hook then kills us), not hang forever.
      child.unref();
      this.#child = child;
      this.#paused = false;
    } finally {
      closeSync(log);
    }
  }

  async waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let reason = 'never probed';
    const target = {
      name: this.name,
      monitorUrl: this.monitorUrl,
      jetstream: this.#layout.jetstream,
      clustered: this.#layout.cluster !== undefined,
    };
    while (Date.now() < deadline) {
      if (!this.running) throw await this.#startupError(`exited during startup (${this.#exitStatus()})`);
      const notReady = await notReadyReason(target, () => this.#goal(this));
      if (notReady === undefined) return;
      reason = notReady;
      await sleep(POLL_INTERVAL_MS);
    }
    throw await this.#startupError(`not ready after ${READY_TIMEOUT_MS}ms: ${reason}`);
  }

  async kill(): Promise<void> {
    await this.#terminate('SIGKILL');
  }

  async stop(): Promise<void> {
    const escalate = setTimeout(() => this.#child?.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await this.#terminate('SIGTERM');
    } finally {
      clearTimeout(escalate);
    }
  }

  async restart(): Promise<void> {
    if (this.running) await this.stop();
    this.spawn();
    await this.waitReady();
  }

  pause(): void {
    this.#signalRunning('SIGSTOP');
    this.#paused = true;
    // kill() returns before every thread has actually stopped; a test probing right after would race the kernel.
    const pid = this.pid;
    if (pid !== undefined && !waitForThreads(pid, isStopped)) {
      throw new Error(`nats-server ${this.name} (pid ${pid}) did not stop within ${THREAD_WAIT_MS}ms of SIGSTOP`);
    }
  }

  resume(): void {
    this.#signalRunning('SIGCONT');
    this.#paused = false;
  }

  #signalRunning(signal: NodeJS.Signals): void {
    if (!this.running) throw new Error(`nats-server ${this.name} is not running`);
    this.#child?.kill(signal);
  }

  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running) return;
    const exited = once(child, 'exit');
    // The child is unref'd, so something must hold the event loop open until its exit is observed.
    const keepAlive = setInterval(() => {}, 1_000);
    child.kill(signal);
    // A stopped process only acts on SIGTERM once it is continued.
    if (this.#paused) child.kill('SIGCONT');
    this.#paused = false;
    try {
      await exited;
    } finally {
      clearInterval(keepAlive);
    }
  }

  #exitStatus(): string {
    const child = this.#child;
    if (child?.pid === undefined) return 'failed to spawn';
    return child.signalCode ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`;
  }

  async #startupError(what: string): Promise<NatsStartupError> {
    const log = await readFile(this.logFile, 'utf8').catch(() => '');
    const tail = log.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n') || '(log empty or unavailable)';
    const message = `nats-server ${this.name} (${this.#bin} -c ${this.configFile}) ${what}\n--- last lines of ${this.logFile} ---\n${tail}`;
    return new NatsStartupError(message, /address already in use/i.test(log));
  }
}
