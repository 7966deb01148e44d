// One Compose project of compose.yaml driven through podman-compose (with this repository's podman settings): up,
// down, the containers' names, and what of the project is left in podman.

import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { podman, podmanEnv } from '../image/podman.ts';
import type { ReadyTarget } from '../process/index.ts';

export const COMPOSE_DIR = fileURLToPath(new URL('.', import.meta.url));
const PROJECT_LABEL = 'io.podman.compose.project';
/** Longer than a node's drain: podman-compose 1.0.3 ignores stop_grace_period and would stop after 1 s. */
export const STOP_TIMEOUT_S = 30;

export interface StackOptions {
  /** The project name: every container, network and volume is named after it. */
  readonly project: string;
  /** compose.yaml's variables (images, ports, secrets folder …). */
  readonly env: Readonly<Record<string, string>>;
  /** Compose files in this folder, in order (default compose.yaml). */
  readonly files?: readonly string[];
}

export interface Leftovers {
  readonly containers: string[];
  readonly networks: string[];
  readonly volumes: string[];
  readonly pods: string[];
}

export class ComposeStack {
  readonly project: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #files: readonly string[];

  constructor(opts: StackOptions) {
    this.project = opts.project;
    this.#env = { ...podmanEnv(), ...opts.env };
    this.#files = opts.files ?? ['compose.yaml'];
  }

  /** `podman-compose -p PROJECT -f … ARGS` in this folder; podman's output is kept, not shown. */
  compose(args: readonly string[]): SpawnSyncReturns<string> {
    const files = this.#files.flatMap((file) => ['-f', file]);
    const result = spawnSync('podman-compose', ['-p', this.project, ...files, ...args], {
      cwd: COMPOSE_DIR,
      env: this.#env,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (result.error) throw new Error(`compose: cannot run podman-compose: ${result.error.message}`);
    return result;
  }

  up(): void {
    const result = this.compose(['up', '-d']);
    // podman-compose 1.0.3 exits 0 even when a container could not be created: check each it tried to run.
    const names = [...result.stdout.matchAll(/^podman run --name=(\S+)/gm)].map((m) => m[1]!);
    const running = new Set(this.leftovers().containers);
    const missing = names.filter((name) => !running.has(name));
    if (result.status !== 0 || names.length === 0 || missing.length > 0) {
      const errors = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.startsWith('Error:'));
      throw new Error(
        `compose: up failed (exit ${result.status}; not created: ${missing.join(', ')}): ${errors.join('; ')}`,
      );
    }
  }

  /**
   * `down -v` with a stop timeout longer than a drain, then the project's networks: podman-compose 1.0.3 leaves
   * them (docker compose and later podman-compose remove them).
   */
  down(): void {
    this.compose(['down', '-v', '-t', String(STOP_TIMEOUT_S)]);
    for (const network of this.leftovers().networks) podman(['network', 'rm', network], { stdio: 'pipe' });
  }

  /** Everything of the project, forcibly: for a test that failed half-way. */
  remove(): void {
    const left = this.leftovers();
    if (left.containers.length) podman(['rm', '--force', '--time', '0', ...left.containers], { stdio: 'pipe' });
    if (left.pods.length) podman(['pod', 'rm', '--force', ...left.pods], { stdio: 'pipe' });
    if (left.volumes.length) podman(['volume', 'rm', '--force', ...left.volumes], { stdio: 'pipe' });
    if (left.networks.length) podman(['network', 'rm', '--force', ...left.networks], { stdio: 'pipe' });
  }

  /** The container podman-compose names `<project>_<service>_1`. */
  container(service: string): string {
    return `${this.project}_${service}_1`;
  }

  leftovers(): Leftovers {
    const label = `label=${PROJECT_LABEL}=${this.project}`;
    const list = (args: string[]) =>
      podman(args, { stdio: 'pipe' })
        .split('\n')
        .filter((line) => line !== '');
    return {
      containers: list(['ps', '--all', '--filter', label, '--format', '{{.Names}}']),
      networks: list(['network', 'ls', '--filter', label, '--format', '{{.Name}}']),
      volumes: list(['volume', 'ls', '--filter', label, '--format', '{{.Name}}']),
      // podman-compose 1.0.3 creates no pods; later versions make one per project, named pod_<project>.
      pods: list(['pod', 'ps', '--filter', `name=${this.project}`, '--format', '{{.Name}}']),
    };
  }

  /** A node's service as `waitAllReady` probes it; on a timeout it names the container's last log lines. */
  readyTarget(service: string, url: string): ReadyTarget {
    return {
      name: service,
      url,
      child: {
        // A node that exits early is restarted by its policy: only the deadline ends the wait.
        running: true,
        exited: new Promise(() => {}),
        describeExit: () => 'running',
        lastLines: () => this.logs(service, 15),
      },
    };
  }

  logs(service: string, tail: number): string[] {
    const result = spawnSync('podman', ['logs', '--tail', String(tail), this.container(service)], {
      env: this.#env,
      encoding: 'utf8',
    });
    return `${result.stdout}${result.stderr}`.split('\n').filter((line) => line !== '');
  }
}
