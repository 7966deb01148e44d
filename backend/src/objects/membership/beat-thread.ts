import { Worker } from 'node:worker_threads';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsClientSettings } from '@resident/shared/nats';
import { BeatLoop, newBoard } from './beat-loop.ts';
import type { MemberInfo } from './member.ts';
import type { MemberEntryCodec } from './member-entry.ts';

/** Where the heartbeat thread connects: the node's servers and credentials (the settings, not loaded options, which hold functions a thread cannot receive). */
export interface BeatConnection {
  readonly servers: readonly string[];
  readonly auth?: NatsClientSettings | undefined;
}

export interface BeatWorkerData {
  readonly connection: BeatConnection;
  readonly cluster: string;
  readonly key: Uint8Array | undefined;
  readonly info: MemberInfo;
  readonly heartbeatMs: number;
  readonly stallMs: number;
  readonly board: Float64Array;
}

export type ToBeatWorker = { readonly type: 'info'; readonly info: MemberInfo } | { readonly type: 'stop' };
export type FromBeatWorker = { readonly type: 'started' } | { readonly type: 'failed'; readonly error: string };

/** What sends this node's heartbeats: on the main thread, or on a thread of its own. Both report on `board`. */
export interface BeatSource {
  readonly board: Float64Array;
  update(info: MemberInfo): void;
  stop(): Promise<void>;
}

export interface BeatSourceOptions {
  /** The main connection: heartbeats go on it when there is no `connection` for a thread of their own. */
  readonly nc: NatsConnection;
  readonly connection: BeatConnection | undefined;
  readonly cluster: string;
  readonly codec: MemberEntryCodec;
  readonly key: Uint8Array | undefined;
  readonly info: MemberInfo;
  readonly heartbeatMs: number;
  readonly stallMs: number;
  /** The heartbeat thread failed after it started: beats go on from the main thread, and this says why. */
  readonly onThreadFailed: (why: string) => void;
}

/** How long the heartbeat thread may take to connect before the node gives up joining. */
const START_TIMEOUT_MS = 15_000;

export async function startBeats(opts: BeatSourceOptions): Promise<BeatSource> {
  if (!opts.connection) return inThread(opts, newBoard(false));
  const board = newBoard(true);
  const worker = await startWorker({
    connection: opts.connection,
    cluster: opts.cluster,
    key: opts.key,
    info: opts.info,
    heartbeatMs: opts.heartbeatMs,
    stallMs: opts.stallMs,
    board,
  });
  return new ThreadBeats(worker, board, opts);
}

/** Beats from a thread of their own; should the thread die, from the main thread on, rather than not at all. */
class ThreadBeats implements BeatSource {
  private fallback: BeatSource | undefined;
  private info: MemberInfo;
  private stopping = false;

  constructor(
    private readonly worker: Worker,
    readonly board: Float64Array,
    opts: BeatSourceOptions,
  ) {
    this.info = opts.info;
    worker.on('error', (err) => opts.onThreadFailed(err.message));
    worker.once('exit', (code) => {
      if (this.stopping) return;
      opts.onThreadFailed(`it exited with code ${code}`);
      this.fallback = inThread({ ...opts, info: this.info }, board);
    });
  }

  update(info: MemberInfo): void {
    this.info = info;
    if (this.fallback) return this.fallback.update(info);
    this.worker.postMessage({ type: 'info', info } satisfies ToBeatWorker);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.fallback) return this.fallback.stop();
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage({ type: 'stop' } satisfies ToBeatWorker);
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }
}

function inThread(opts: BeatSourceOptions, board: Float64Array): BeatSource {
  const loop = new BeatLoop({ ...opts, board, stallMs: undefined });
  loop.start();
  return {
    board,
    update: (info) => loop.update(info),
    stop: async () => loop.stop(),
  };
}

function startWorker(data: BeatWorkerData): Promise<Worker> {
  const worker = spawn(new URL('./beat-worker.ts', import.meta.url), data);
  worker.unref(); // the node's own shutdown stops it; it never keeps a process alive
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void worker.terminate();
      reject(new Error(`the heartbeat thread did not start: ${why}`));
    };
    const timer = setTimeout(() => fail(`not connected to NATS in ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    worker.once('error', (err) => fail(err.message));
    worker.once('exit', (code) => fail(`it exited with code ${code}`));
    worker.once('message', (message: FromBeatWorker) => {
      if (message.type === 'failed') return fail(message.error);
      clearTimeout(timer);
      worker.removeAllListeners('exit').removeAllListeners('error');
      resolve(worker);
    });
  });
}

/** Runs from TypeScript sources through tsx (a worker does not inherit the parent's loader), or as built JavaScript. */
function spawn(entry: URL, data: BeatWorkerData): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: data });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(boot, { eval: true, workerData: data });
}
