// Each supervised process as its own "machine" on a shared box: its own CPU quota (a cgroup: v1 `cpu`, or v2
// `cpu.max`) and its own open-file budget (`prlimit` wraps its command). The cgroups live under one parent per run,
// `resident-<supervisor pid>`, removed when the run closes them or exits (registry.ts), even after a failure; a
// parent left by a supervisor that was SIGKILLed is swept by the next run.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { atExit, forgetAtExit } from './registry.ts';

const V1_ROOT = '/sys/fs/cgroup/cpu';
const V2_ROOT = '/sys/fs/cgroup';
/**
 * The quota's accounting period. 10 ms, not the kernel's default 100 ms: at 0.2 core a 100 ms period lets a busy
 * process run 20 ms and then stalls it for 80 ms, a latency no real small machine adds; with 10 ms the stall is 8 ms.
 */
export const PERIOD_US = 10_000;
/** The kernel's smallest quota is 1 ms a period (PERIOD_US below). */
export const MIN_CPU = 0.1;
export const MAX_CPU = 64;
/** Below this a Node process cannot even load its modules. */
export const MIN_FDS = 64;
export const MAX_FDS = 1_048_576;
const PARENT_PREFIX = 'resident-';
/** A cgroup whose last process has just exited may still read as busy for a moment. */
const RMDIR_TRIES = 50;

export interface MachineLimits {
  /** Cores per process (0.2: a fifth of a core); none: no CPU quota. */
  readonly cpu?: number;
  /** Open-file limit per process (soft and hard); none: inherited. */
  readonly fds?: number;
}

/** Why processes cannot be given machines here: for a one-line error or a test's skip reason. */
export class MachineError extends Error {
  override name = 'MachineError';
}

type Hierarchy = { readonly kind: 'v1' | 'v2'; readonly root: string };

/** CPU time a machine's process was held back by its quota (cgroup `cpu.stat`). */
export interface Throttling {
  readonly periods: number;
  readonly throttledPeriods: number;
  readonly throttledMs: number;
}

export class Machines {
  readonly limits: MachineLimits;
  /** The run's parent cgroup; undefined without a CPU quota. */
  readonly parent: string | undefined;
  readonly #hierarchy: Hierarchy | undefined;
  readonly #prlimit: string | undefined;
  readonly #cleanup = () => this.close();
  #closed = false;

  /** Throws MachineError (one line) when the limits are out of range or this box cannot apply them. */
  constructor(limits: MachineLimits) {
    checkLimits(limits);
    this.limits = limits;
    this.#prlimit = limits.fds === undefined ? undefined : findPrlimit();
    if (limits.cpu === undefined) return;
    const hierarchy = cpuHierarchy();
    this.#hierarchy = hierarchy;
    sweepStale(hierarchy.root);
    this.parent = join(hierarchy.root, `${PARENT_PREFIX}${process.pid}`);
    createParent(this.parent, hierarchy);
    atExit(this.#cleanup);
  }

  /** The command and args that start `command` with this machine's open-file limit. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] } {
    if (!this.#prlimit) return { command, args: [...args] };
    return { command: this.#prlimit, args: [`--nofile=${this.limits.fds}:${this.limits.fds}`, command, ...args] };
  }

  /**
   * Creates `name`'s cgroup and moves process `pid` (all its threads) into it, without a quota until `cap(name)`:
   * a process may boot at full speed (a node that loads its modules at a fifth of a core misses its own start-up
   * deadlines) and is held to its quota from then on.
   */
  place(name: string, pid: number): void {
    if (!this.parent) return;
    const dir = this.dir(name);
    mkdirSync(dir, { recursive: true });
    this.#writeQuota(dir, undefined);
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  }

  /** From now on `name` gets at most its CPU quota. */
  cap(name: string): void {
    if (this.parent) this.#writeQuota(this.dir(name), Math.round(this.limits.cpu! * PERIOD_US));
  }

  #writeQuota(dir: string, quotaUs: number | undefined): void {
    if (this.#hierarchy?.kind === 'v1') {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs ?? -1));
    } else {
      writeFileSync(join(dir, 'cpu.max'), `${quotaUs ?? 'max'} ${PERIOD_US}`);
    }
  }

  /** `name`'s cgroup directory (whether or not it exists yet). */
  dir(name: string): string {
    if (!this.parent) throw new MachineError('no CPU quota: these machines have no cgroups');
    if (!/^[\w-]{1,64}$/.test(name)) throw new MachineError(`machine name must be 1-64 of A-Z a-z 0-9 _ -: ${name}`);
    return join(this.parent, name);
  }

  /** How much `name`'s quota held it back so far; undefined without a cgroup for it. */
  throttling(name: string): Throttling | undefined {
    if (!this.parent) return undefined;
    const file = join(this.dir(name), 'cpu.stat');
    if (!existsSync(file)) return undefined;
    const stat = Object.fromEntries(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string])
        .map(([k, v]) => [k, Number(v)]),
    );
    // v1 counts throttled time in ns, v2 in µs.
    const throttledMs =
      stat.throttled_time !== undefined ? stat.throttled_time / 1e6 : (stat.throttled_usec ?? 0) / 1e3;
    return { periods: stat.nr_periods ?? 0, throttledPeriods: stat.nr_throttled ?? 0, throttledMs };
  }

  /** Removes every cgroup of this run. Call once their processes have exited; safe to call twice. */
  close(): void {
    if (this.#closed || !this.parent) return;
    this.#closed = true;
    forgetAtExit(this.#cleanup);
    removeTree(this.parent);
  }
}

/** One line saying why CPU quotas cannot be used here, or undefined if they can (for tests' skip reasons). */
export function quotaUnsupported(): string | undefined {
  try {
    const hierarchy = cpuHierarchy();
    const probe = join(hierarchy.root, `${PARENT_PREFIX}probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (err) {
    return err instanceof MachineError ? err.message : `cannot create a cgroup: ${(err as Error).message}`;
  }
}

function checkLimits({ cpu, fds }: MachineLimits): void {
  if (cpu !== undefined && !(Number.isFinite(cpu) && cpu >= MIN_CPU && cpu <= MAX_CPU)) {
    throw new MachineError(`CPU per machine must be ${MIN_CPU}-${MAX_CPU} cores, got ${cpu}`);
  }
  if (fds !== undefined && !(Number.isSafeInteger(fds) && fds >= MIN_FDS && fds <= MAX_FDS)) {
    throw new MachineError(`open files per machine must be an integer from ${MIN_FDS} to ${MAX_FDS}, got ${fds}`);
  }
}

/** v1 where its `cpu` hierarchy is mounted (hybrid set-ups mount v2 too, without controllers), else v2 with `cpu`. */
function cpuHierarchy(): Hierarchy {
  if (existsSync(join(V1_ROOT, 'cpu.cfs_quota_us'))) return checkWritable({ kind: 'v1', root: V1_ROOT });
  const controllers = join(V2_ROOT, 'cgroup.controllers');
  if (existsSync(controllers) && readFileSync(controllers, 'utf8').split(/\s+/).includes('cpu')) {
    return checkWritable({ kind: 'v2', root: V2_ROOT });
  }
  throw new MachineError(`no cgroup cpu controller mounted (neither ${V1_ROOT} nor cgroup v2 with "cpu")`);
}

function checkWritable(h: Hierarchy): Hierarchy {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot)
    throw new MachineError(
      `CPU quotas need root to create cgroups under ${h.root} (running as uid ${process.getuid?.()})`,
    );
  return h;
}

function createParent(parent: string, h: Hierarchy): void {
  try {
    mkdirSync(parent, { recursive: true });
    // v2 hands a controller to a cgroup's children only when the cgroup enables it for its subtree.
    if (h.kind === 'v2') {
      enableCpu(h.root);
      enableCpu(parent);
    }
  } catch (err) {
    throw new MachineError(`cannot create cgroup ${parent}: ${(err as Error).message}`);
  }
}

function enableCpu(dir: string): void {
  const control = join(dir, 'cgroup.subtree_control');
  if (!readFileSync(control, 'utf8').split(/\s+/).includes('cpu')) writeFileSync(control, '+cpu');
}

/** Parents of runs whose supervisor is gone (SIGKILLed: no exit hook ran). */
function sweepStale(root: string): void {
  for (const entry of readdirSync(root)) {
    const m = new RegExp(`^${PARENT_PREFIX}(\\d+)$`).exec(entry);
    if (!m || alive(Number(m[1]))) continue;
    try {
      removeTree(join(root, entry));
    } catch {
      // Still holds a process (an orphan of that run); leave it rather than fail this run.
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A cgroup directory is removed with rmdir (its files are the kernel's), children first. */
function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeTree(join(dir, entry.name));
  }
  for (let i = 1; ; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || i >= RMDIR_TRIES) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

function findPrlimit(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, 'prlimit');
    if (dir && existsSync(file)) return file;
  }
  throw new MachineError('an open-file limit per machine needs prlimit (util-linux) on the PATH');
}
