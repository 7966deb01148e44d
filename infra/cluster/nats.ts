// The runner's side of the NATS supervisor: starts it, relays its servers' logs, and stops it.

import { fileURLToPath } from 'node:url';
import type { Role } from '@resident/shared/nats';
import { Child } from '../process/child.ts';
import { decode, type NatsMessage, type ServerInfo } from './nats-messages.ts';
import type { Printer } from './output.ts';

const SUPERVISOR = fileURLToPath(new URL('./nats-supervisor.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The harness itself gives up on a server after 20 s, and retries twice on a lost port race. */
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

/** The supervisor's own lines; its servers print as `nats0`, `nats1`, … */
export const SUPERVISOR_NAME = 'nats';

export const serverName = (index: number): string => `nats${index}`;

export class NatsServers {
  readonly child: Child;
  readonly #printer: Printer;
  readonly #ready: Promise<readonly ServerInfo[]>;
  #onReady: (servers: readonly ServerInfo[]) => void = () => {};
  #servers: readonly ServerInfo[] = [];
  #seedFiles: Readonly<Record<Role, string>> | undefined;
  readonly #down = new Set<number>();

  constructor(size: 1 | 3, cluster: string, printer: Printer, syncAlways = false) {
    this.#printer = printer;
    this.#ready = new Promise((resolve) => {
      this.#onReady = resolve;
    });
    this.child = new Child({
      name: SUPERVISOR_NAME,
      command: process.execPath,
      args: ['--import', 'tsx', SUPERVISOR, String(size), cluster, ...(syncAlways ? ['sync-always'] : [])],
      cwd: REPO_ROOT,
      onLine: (stream, line) => this.#onLine(stream, line),
    });
  }

  get servers(): readonly ServerInfo[] {
    return this.#servers;
  }

  /** Each role's nkey seed file, once ready. */
  get seedFiles(): Readonly<Record<Role, string>> | undefined {
    return this.#seedFiles;
  }

  /** A majority of the servers is up: JetStream has a quorum, so nodes can still drain through it. */
  get serving(): boolean {
    const total = this.#servers.length;
    return this.child.running && total > 0 && (total - this.#down.size) * 2 > total;
  }

  /** Resolves once every server is up (JetStream ready, cluster routes formed); rejects naming what went wrong. */
  async ready(abort: AbortSignal): Promise<readonly ServerInfo[]> {
    const failed = this.child.exited.then(() => {
      const lines = this.child.lastLines().join('\n');
      throw new Error(`NATS did not start (supervisor ${this.child.describeExit()}):\n${lines}`);
    });
    const timeout = AbortSignal.any([abort, AbortSignal.timeout(START_TIMEOUT_MS)]);
    const gaveUp = new Promise<never>((_, reject) => {
      timeout.addEventListener('abort', () => reject(abort.aborted ? abort.reason : new Error(timeoutText())));
    });
    return Promise.race([this.#ready, failed, gaveUp]);
  }

  /** Gracefully (the servers get SIGTERM); true if that worked in time, else everything was killed. */
  async stop(): Promise<boolean> {
    if (!this.child.running) return false; // it died earlier, and that was reported then
    this.child.closeStdin();
    if (await this.child.waitExit(STOP_TIMEOUT_MS)) return this.child.describeExit() === 'exit code 0';
    this.#printer.alert(`NATS did not stop within ${STOP_TIMEOUT_MS / 1000} s: killing it`);
    // The supervisor leads its process group, so this also reaches its nats-servers.
    this.child.signalGroup('SIGKILL');
    await this.child.exited;
    return false;
  }

  #onLine(stream: 'out' | 'err', line: string): void {
    const message = stream === 'out' ? decode(line) : undefined;
    if (message) this.#handle(message);
    else this.#printer.line(SUPERVISOR_NAME, stream, line);
  }

  #handle(message: NatsMessage): void {
    if (message.type === 'log') this.#printer.line(serverName(message.server), 'out', message.line);
    else if (message.type === 'exited') {
      this.#down.add(message.server);
      this.#printer.alert(`${serverName(message.server)} (nats-server pid ${message.pid}) exited unexpectedly`);
    } else {
      this.#servers = message.servers;
      this.#seedFiles = message.seedFiles;
      this.#onReady(message.servers);
    }
  }
}

function timeoutText(): string {
  return `NATS not ready within ${START_TIMEOUT_MS / 1000} s`;
}
