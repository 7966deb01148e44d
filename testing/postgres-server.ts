// A throwaway PostgreSQL for tests and benchmarks: initdb into a temp dir, postgres on a free port of 127.0.0.1,
// one database and an application role with a password; killed on close or when we exit.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { forgetDir, freePort, removeOnExit, track } from '@resident/infra/process';
import { findOnPath, isExecutable } from './executables.ts';

const INSTALL = 'sudo apt-get install -y postgresql';
/** Debian installs the server here, and puts only its client wrappers on PATH. */
const DEBIAN_ROOT = '/usr/lib/postgresql';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * What a competent operator sets for an OLTP service on a 2-core, 24 GiB machine (PGTune's "web application"
 * profile, rounded). Durability is left as shipped, and said so: a commit is acknowledged once its WAL is on disk.
 */
export const OPERATOR_SETTINGS: Readonly<Record<string, string | number>> = {
  max_connections: 100, // pools of a few connections per service instance; more only contend for 2 cores
  shared_buffers: '6GB', // 25 % of memory, the usual start
  effective_cache_size: '18GB', // shared buffers plus the OS page cache, for the planner
  maintenance_work_mem: '1GB',
  work_mem: '16MB',
  wal_buffers: '16MB',
  min_wal_size: '1GB',
  max_wal_size: '4GB', // a write-heavy run checkpoints on time, not on WAL volume
  checkpoint_completion_target: 0.9,
  random_page_cost: 1.1, // SSD
  effective_io_concurrency: 200,
  max_worker_processes: 2,
  max_parallel_workers: 2,
  max_parallel_workers_per_gather: 1,
  jit: 'off', // point queries: compiling one never pays off
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
};

export interface PostgresOptions {
  /** Settings over OPERATOR_SETTINGS (e.g. a smaller shared_buffers). */
  readonly settings?: Readonly<Record<string, string | number>>;
}

export interface PostgresServer {
  /** postgres://resident:<password>@127.0.0.1:<port>/resident: the application role, which owns the database. */
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** The unix socket directory, where the `postgres` superuser connects without a password (`psql -h`). */
  readonly socketDir: string;
  /** The folder of the server's binaries (psql, pgbench, … of the same version). */
  readonly bin: string;
  close(): Promise<void>;
}

interface Binaries {
  dir: string;
  /** Who runs them: postgres refuses root, so as root they run as the `postgres` system user. */
  user: { uid: number; gid: number } | undefined;
}

/** Why startPostgres cannot run here (one line), or undefined when it can. */
export function postgresMissing(): string | undefined {
  try {
    binaries();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  const bins = binaries();
  const dir = mkdtempSync(join(tmpdir(), 'rsd-postgres-'));
  removeOnExit(dir);
  const password = randomBytes(18).toString('base64url');
  const socketDir = join(dir, 'sock');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const output = { text: '' };
  const close = async () => {
    if (child) await stop(child);
    rmSync(dir, { recursive: true, force: true });
    forgetDir(dir);
  };
  try {
    prepareDir(dir, socketDir, password, bins);
    await initdb(bins, dir);
    child = spawnPostgres(bins, dir, port, socketDir, { ...OPERATOR_SETTINGS, ...opts.settings }, output);
    await waitUntilReady(bins, socketDir, port, child);
    await createDatabase(bins, socketDir, port, password);
  } catch (err) {
    await close();
    throw new Error(`postgres did not start: ${(err as Error).message}\n${output.text.slice(-2000)}`);
  }
  const url = `postgres://resident:${password}@127.0.0.1:${port}/resident`;
  return { url, port, pid: child.pid, socketDir, bin: bins.dir, close };
}

function binaries(): Binaries {
  const dir = binDir();
  if (process.getuid?.() !== 0) return { dir, user: undefined };
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { dir, user: { uid: id('-u'), gid: id('-g') } };
  } catch {
    throw new Error(`postgres refuses to run as root, and there is no "postgres" system user to run it as: ${INSTALL}`);
  }
}

/** PG_BIN, then a `postgres` on PATH (a symlink leads to its real folder), then Debian's newest version. */
function binDir(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) {
    if (hasServer(fromEnv)) return fromEnv;
    throw new Error(`PG_BIN=${fromEnv} has no executable postgres and initdb. Install PostgreSQL: ${INSTALL}`);
  }
  const onPath = findOnPath('postgres');
  if (onPath && hasServer(dirname(realpathSync(onPath)))) return dirname(realpathSync(onPath));
  const debian = debianVersions().find((v) => hasServer(join(DEBIAN_ROOT, v, 'bin')));
  if (debian) return join(DEBIAN_ROOT, debian, 'bin');
  throw new Error(`no PostgreSQL server (postgres, initdb) on PATH, in ${DEBIAN_ROOT}/*/bin or PG_BIN: ${INSTALL}`);
}

function hasServer(dir: string): boolean {
  return ['postgres', 'initdb', 'pg_isready', 'psql'].every((bin) => isExecutable(join(dir, bin)));
}

/** Installed major versions, newest first. */
function debianVersions(): string[] {
  try {
    return readdirSync(DEBIAN_ROOT)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    return [];
  }
}

function prepareDir(dir: string, socketDir: string, password: string, bins: Binaries): void {
  mkdirSync(socketDir);
  writeFileSync(join(dir, 'pwfile'), `${password}\n`, { mode: 0o600 });
  if (!bins.user) return;
  for (const path of [dir, socketDir, join(dir, 'pwfile')]) chownSync(path, bins.user.uid, bins.user.gid);
}

/** Sockets trust their (local) users; TCP takes a password, as a deployment would. */
function initdb(bins: Binaries, dir: string): Promise<void> {
  const args = ['-D', join(dir, 'data'), '-U', 'postgres', '--pwfile', join(dir, 'pwfile'), '-E', 'UTF8'];
  // --no-sync: the template's files need not survive a crash of this machine; the server's own fsync stays on.
  args.push('--no-locale', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync');
  return run(bins, 'initdb', args);
}

function spawnPostgres(
  bins: Binaries,
  dir: string,
  port: number,
  socketDir: string,
  settings: Readonly<Record<string, string | number>>,
  output: { text: string },
): ChildProcess {
  const all = {
    ...settings,
    listen_addresses: '127.0.0.1',
    unix_socket_directories: socketDir,
    shared_preload_libraries: 'pg_stat_statements',
  };
  const args = ['-D', join(dir, 'data'), '-p', String(port)];
  for (const [key, value] of Object.entries(all)) args.push('-c', `${key}=${value}`);
  // Its own process group, so a kill takes the backends with the postmaster.
  const child = spawn(join(bins.dir, 'postgres'), args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...bins.user,
  });
  child.on('error', () => {}); // a failed spawn shows as an exit code in waitUntilReady
  track(child, { group: true });
  child.stdout?.on('data', (b: Buffer) => (output.text += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output.text += b.toString()));
  return child;
}

async function waitUntilReady(bins: Binaries, socketDir: string, port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    try {
      await run(bins, 'pg_isready', ['-q', '-h', socketDir, '-p', String(port)]);
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`not accepting connections on port ${port} within ${READY_TIMEOUT_MS} ms`);
}

/** The application's role owns its database and may read pg_stat_statements (created in it). */
async function createDatabase(bins: Binaries, socketDir: string, port: number, password: string): Promise<void> {
  const server = ['-h', socketDir, '-p', String(port), '-U', 'postgres'];
  const psql = (db: string, ...sql: string[]) =>
    run(bins, 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...server, '-d', db, ...sql.flatMap((s) => ['-c', s])]);
  await psql(
    'postgres',
    `CREATE ROLE resident LOGIN PASSWORD '${password}'`,
    'GRANT pg_read_all_stats TO resident',
    'CREATE DATABASE resident OWNER resident',
  );
  await psql('resident', 'CREATE EXTENSION pg_stat_statements');
}

const execFileAsync = promisify(execFile);

/** Runs one of the binaries from `/`, which the postgres user can always enter. */
async function run(bins: Binaries, bin: string, args: string[]): Promise<void> {
  try {
    await execFileAsync(join(bins.dir, bin), args, { cwd: '/', ...bins.user });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`${bin} failed${stderr ? `: ${stderr}` : ''}`);
  }
}

/** Immediate shutdown (the data is thrown away), then a kill of the whole group if that hangs. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGQUIT');
  const timer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
