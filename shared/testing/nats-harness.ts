import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalCredentials, type LocalCredentials } from '../nats/local-credentials.ts';
import {
  type RouteCredentials,
  renderAuthorization,
  renderRouteAuthorization,
  renderTls,
  routeUrl,
  type ServerTls,
  type ServerUser,
} from '../nats/server-config.ts';

const INSTALL_COMMAND = 'sudo apt-get install -y nats-server';
const READY_TIMEOUT_MS = 20_000;
const PROBE_TIMEOUT_MS = 1_000;
const POLL_INTERVAL_MS = 50;
const STOP_GRACE_MS = 10_000;
const START_ATTEMPTS = 3;
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

export interface NatsCluster {
  readonly servers: NatsServerHandle[];
  readonly urls: string[];
  /** With `auth`: the generated nkey seed file of each role, and the route password. */
  readonly credentials: LocalCredentials | undefined;
  close(): Promise<void>;
}

/** Opt-in security: by default the servers take anonymous clients, as most tests expect. */
export interface NatsSecurityOptions {
  /**
   * Every client must authenticate: with a role's nkey (one per role, generated in the servers' temp dir) or as one of
   * `users`; routes between the servers need a password.
   */
  readonly auth?: { readonly cluster: string; readonly users?: readonly ServerUser[] };
  /** Clients connect over TLS with this certificate. */
  readonly tls?: ServerTls;
}

export function findNatsServer(): string {
  const fromEnv = process.env.NATS_SERVER_BIN;
  if (fromEnv) {
    if (isExecutableFile(fromEnv)) return fromEnv;
    throw new Error(`NATS_SERVER_BIN=${fromEnv} is not an executable file. Install nats-server: ${INSTALL_COMMAND}`);
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'nats-server');
    if (dir && isExecutableFile(candidate)) return candidate;
  }
  throw new Error(`nats-server not found on PATH (or set NATS_SERVER_BIN). Install it: ${INSTALL_COMMAND}`);
}

export async function startNats(opts: { jetstream?: boolean } & NatsSecurityOptions = {}): Promise<NatsCluster> {
  return launch({ ...opts, size: 1, jetstream: opts.jetstream ?? true, clustered: false });
}

export async function startNatsCluster(opts: { size?: number } & NatsSecurityOptions = {}): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`cluster size must be an integer >= 2, got ${size}`);
  return launch({ ...opts, size, jetstream: true, clustered: true });
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// --- process registry: nothing may outlive the test process, even when a test throws mid-setup ---

const liveProcesses = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHooksInstalled = false;

function track(child: ChildProcess): void {
  installExitHooks();
  liveProcesses.add(child);
  child.once('exit', () => liveProcesses.delete(child));
}

function killEverythingSync(): void {
  const children = [...liveProcesses];
  for (const child of children) child.kill('SIGKILL');
  // A server still dying can create files mid-rm, which leaves a half-deleted temp dir behind.
  for (const { pid } of children) if (pid !== undefined) waitForThreads(pid, isDead);
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort: we are exiting, and one stubborn dir must not keep the others from being removed.
    }
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killEverythingSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killEverythingSync();
      // Our listener suppressed the default "terminate" action; re-raise unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

// --- signals ---

const THREAD_WAIT_MS = 2_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const isStopped = (state: string): boolean => state === 'T' || state === 't';
const isDead = (state: string): boolean => state === 'Z' || state === 'X';

/**
 * Blocks until every thread of pid is in a state accepted by `done` (signals are delivered asynchronously).
 * Synchronous so it also works in 'exit' handlers. Linux-only (/proc); elsewhere, or once pid is gone, returns true.
 */
function waitForThreads(pid: number, done: (state: string) => boolean): boolean {
  const deadline = Date.now() + THREAD_WAIT_MS;
  while (Date.now() < deadline) {
    const states = threadStates(pid);
    if (states === undefined || states.every(done)) return true;
    Atomics.wait(sleeper, 0, 0, 1);
  }
  return false;
}

function threadStates(pid: number): string[] | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  // A thread may vanish between readdir and read; it no longer has a state to wait for.
  return tids.map((tid) => threadState(`/proc/${pid}/task/${tid}/stat`)).filter((s) => s !== undefined);
}

function threadState(statFile: string): string | undefined {
  try {
    const stat = readFileSync(statFile, 'utf8');
    // The state follows the parenthesised command name, which may itself contain spaces or parentheses.
    const end = stat.lastIndexOf(')');
    return stat.slice(end + 2, end + 3);
  } catch {
    return undefined;
  }
}

// --- ports and config ---

async function freePorts(count: number): Promise<number[]> {
  // Hold all listeners open together so the kernel cannot hand out the same port twice.
  const servers = await Promise.all(Array.from({ length: count }, listenOnEphemeralPort));
  const ports = servers.map(portOf);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

function listenOnEphemeralPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP listener');
  return address.port;
}

interface ServerLayout {
  name: string;
  dir: string;
  port: number;
  monitorPort: number;
  jetstream: boolean;
  cluster?: { name: string; port: number; routes: number[] };
}

interface Security {
  credentials: LocalCredentials | undefined;
  users: readonly ServerUser[];
  tls: ServerTls | undefined;
}

function renderConfig(layout: ServerLayout, security: Security): string {
  const lines = [
    `server_name: ${layout.name}`,
    `listen: 127.0.0.1:${layout.port}`,
    `http: 127.0.0.1:${layout.monitorPort}`,
  ];
  if (layout.jetstream) lines.push(`jetstream { store_dir: ${JSON.stringify(storeDirOf(layout))} }`);
  const { credentials, users, tls } = security;
  if (credentials) lines.push(renderAuthorization(credentials.cluster, [...credentials.users, ...users]));
  if (tls) lines.push(renderTls(tls));
  const cluster = layout.cluster;
  if (cluster) lines.push(renderCluster(cluster, credentials?.route));
  return `${lines.join('\n')}\n`;
}

function renderCluster(cluster: NonNullable<ServerLayout['cluster']>, route: RouteCredentials | undefined): string {
  const routes = cluster.routes.map((p) => routeUrl('127.0.0.1', p, route)).join(', ');
  const auth = route ? `, ${renderRouteAuthorization(route)}` : '';
  // no_advertise: a client given one server's URL must stay on that server, or kill/pause tests prove nothing.
  return `cluster { name: ${cluster.name}, listen: 127.0.0.1:${cluster.port}, no_advertise: true, routes: [${routes}]${auth} }`;
}

function storeDirOf(layout: ServerLayout): string {
  return join(layout.dir, 'store');
}

// --- a single server ---

class NatsStartupError extends Error {
  readonly portInUse: boolean;
  constructor(message: string, portInUse: boolean) {
    super(message);
    this.name = 'NatsStartupError';
    this.portInUse = portInUse;
  }
}

interface ReadinessGoal {
  routes: number;
  metaLeader: boolean;
}

type Json = Record<string, unknown>;

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

class NatsServer implements NatsServerHandle {
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
      // Spawn failures arrive as 'error' events; without a listener they would crash the test process.
      child.on('error', () => {});
      if (child.pid !== undefined) track(child);
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
    while (Date.now() < deadline) {
      if (!this.running) throw await this.#startupError(`exited during startup (${this.#exitStatus()})`);
      const notReady = await this.#notReadyReason();
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

  async #notReadyReason(): Promise<string | undefined> {
    try {
      const varz = await this.#monitorJson('/varz');
      // Guards against a port race where some other server answers on "our" monitor port.
      if (varz.server_name !== this.name) return `monitor port answered by ${String(varz.server_name)}`;
      const health = await this.#healthz();
      if (health !== undefined) return health;
      return this.#layout.cluster ? await this.#clusterNotReadyReason() : undefined;
    } catch (err) {
      return `monitor not answering (${err instanceof Error ? err.message : String(err)})`;
    }
  }

  async #healthz(): Promise<string | undefined> {
    const query = this.#layout.jetstream ? '?js-enabled-only=true' : '';
    const res = await fetch(`${this.monitorUrl}/healthz${query}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = await res.text();
    return res.ok ? undefined : `healthz ${res.status}: ${body.trim()}`;
  }

  async #clusterNotReadyReason(): Promise<string | undefined> {
    const goal = this.#goal(this);
    const routez = await this.#monitorJson('/routez');
    const routes = Array.isArray(routez.routes) ? routez.routes.filter(isJson) : [];
    // Count distinct peers, not connections: newer servers pool several connections per route.
    const peers = new Set(routes.map((r) => r.remote_id)).size;
    if (peers < goal.routes) return `${peers}/${goal.routes} routes`;
    if (!goal.metaLeader) return undefined;
    const jsz = await this.#monitorJson('/jsz');
    const meta = isJson(jsz.meta_cluster) ? jsz.meta_cluster : {};
    return typeof meta.leader === 'string' && meta.leader !== '' ? undefined : 'no JetStream meta leader yet';
  }

  async #monitorJson(path: string): Promise<Json> {
    const res = await fetch(`${this.monitorUrl}${path}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body: unknown = await res.json();
    if (!res.ok || !isJson(body)) throw new Error(`${path} -> HTTP ${res.status}`);
    return body;
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

// --- a set of servers sharing one temp dir ---

class Cluster implements NatsCluster {
  readonly servers: NatsServer[] = [];
  readonly credentials: LocalCredentials | undefined;
  readonly #root: string;
  #closing: Promise<void> | undefined;

  constructor(root: string, credentials: LocalCredentials | undefined) {
    this.#root = root;
    this.credentials = credentials;
  }

  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  async boot(): Promise<void> {
    // Spawn everyone before waiting: a JetStream cluster only elects a meta leader once a quorum is up.
    for (const server of this.servers) server.spawn();
    await Promise.all(this.servers.map((s) => s.waitReady()));
  }

  readonly goal = (server: NatsServer): ReadinessGoal => {
    const up = this.servers.filter((s) => s !== server && s.running).length;
    // A meta leader can only exist while a majority runs; without that, waiting for one would just time out.
    return { routes: up, metaLeader: (up + 1) * 2 > this.servers.length };
  };

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill()));
    await rm(this.#root, { recursive: true, force: true });
    liveDirs.delete(this.#root);
  }
}

interface LaunchSpec extends NatsSecurityOptions {
  size: number;
  jetstream: boolean;
  clustered: boolean;
}

async function launch(spec: LaunchSpec): Promise<NatsCluster> {
  const bin = findNatsServer();
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const cluster = await createCluster(bin, spec);
    try {
      await cluster.boot();
      return cluster;
    } catch (err) {
      await cluster.close();
      lastError = err;
      // Only a lost race for a port is worth retrying; anything else would fail the same way again.
      if (!(err instanceof NatsStartupError && err.portInUse)) break;
    }
  }
  throw lastError;
}

async function createCluster(bin: string, spec: LaunchSpec): Promise<Cluster> {
  const root = await mkdtemp(join(tmpdir(), 'resident-nats-'));
  liveDirs.add(root);
  const credentials = spec.auth ? createLocalCredentials(root, spec.auth.cluster) : undefined;
  const cluster = new Cluster(root, credentials);
  const layouts = await planLayouts(root, spec);
  for (const layout of layouts) {
    await mkdir(layout.dir);
    const server = new NatsServer(layout, bin, cluster.goal);
    const security = { credentials, users: spec.auth?.users ?? [], tls: spec.tls };
    await writeFile(server.configFile, renderConfig(layout, security));
    cluster.servers.push(server);
  }
  return cluster;
}

async function planLayouts(root: string, spec: LaunchSpec): Promise<ServerLayout[]> {
  const ports = await freePorts(spec.size * (spec.clustered ? 3 : 2));
  const take = (): number => {
    const port = ports.shift();
    if (port === undefined) throw new Error('ran out of allocated ports');
    return port;
  };
  // The random suffix makes the server_name check in readiness probes meaningful across parallel harnesses.
  const suffix = root.slice(-6).toLowerCase();
  const routePorts = spec.clustered ? Array.from({ length: spec.size }, take) : [];
  return Array.from({ length: spec.size }, (_, i): ServerLayout => {
    const layout: ServerLayout = {
      name: `n${i}-${suffix}`,
      dir: join(root, `n${i}`),
      port: take(),
      monitorPort: take(),
      jetstream: spec.jetstream,
    };
    const port = routePorts[i];
    if (port !== undefined) {
      layout.cluster = { name: `resident-${suffix}`, port, routes: routePorts.filter((p) => p !== port) };
    }
    return layout;
  });
}
