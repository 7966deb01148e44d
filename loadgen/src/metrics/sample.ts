// What a worker measures, and the one-second sample it reports: counter deltas, gauges, histogram deltas.

import { Histogram, type SparseHistogram } from './histogram.ts';

export const COUNTERS = [
  'logins',
  'joins',
  'rejoins',
  'msgsIn',
  'msgsOut',
  'bytesIn',
  'bytesOut',
  'patches',
  'decodedPatches',
  'inputs',
  'calls',
  /** Join steps the server asked to retry (HTTP 429, or 503 with Retry-After), retried after the wait it asked for. */
  'retries',
  'errors',
] as const;
export type CounterName = (typeof COUNTERS)[number];

/** Latency histograms, each labelled where it is shown. */
export const HISTOGRAMS = {
  ack: 'input→ack RTT (decoded bots: input seq N sent → own blob ack ≥ N seen)',
  ping: 'ping RTT (bytes "ping" → "pong", app level, through the room)',
  cping: 'Colyseus PING RTT (protocol level; every room answers it)',
  join: 'join latency (guest login → room joined, Retry-After waits included)',
  // The join's steps, to see where a slow join waits (Retry-After waits included).
  joinLogin: 'join step 1: guest login (POST /api/guest)',
  joinMatchmake: 'join step 2: matchmaking (POST /matchmake/joinOrCreate → seat)',
  joinConnect: 'join step 3: seat → JOIN_ROOM (WebSocket connect, onAuth, onJoin)',
  rejoin: "re-join latency (the room's node went away → back in the room, through any node)",
  call: 'object call latency (Player.touch over NATS; simulated, no sockets)',
} as const;
export type HistogramName = keyof typeof HISTOGRAMS;

/** One empty histogram per name in HISTOGRAMS. */
export function histSet(): Record<HistogramName, Histogram> {
  return Object.fromEntries(Object.keys(HISTOGRAMS).map((name) => [name, new Histogram()])) as Record<
    HistogramName,
    Histogram
  >;
}

export interface WorkerSample {
  worker: string;
  seq: number;
  /** Epoch ms at the end of the interval. */
  at: number;
  intervalMs: number;
  /** Users this worker should have by now (ramp schedule), and users it has (connected and joined, or held). */
  target: number;
  active: number;
  /** Joins in flight. */
  joining: number;
  counters: Record<CounterName, number>;
  errorKinds: Record<string, number>;
  /** A few error messages of this interval, for the report. */
  errorSamples: string[];
  hist: Partial<Record<HistogramName, SparseHistogram>>;
  cpuMicros: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export class WorkerMetrics {
  readonly counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<CounterName, number>;
  readonly hist = histSet();
  #errorKinds: Record<string, number> = {};
  #errorSamples: string[] = [];
  #seq = 0;
  #lastAt = Date.now();
  #lastCpu = process.cpuUsage();

  constructor(readonly worker: string) {}

  error(kind: string, message: string): void {
    this.counters.errors += 1;
    this.#errorKinds[kind] = (this.#errorKinds[kind] ?? 0) + 1;
    if (this.#errorSamples.length < 5) this.#errorSamples.push(`${kind}: ${message}`.slice(0, 300));
  }

  take(gauges: { target: number; active: number; joining: number }): WorkerSample {
    const at = Date.now();
    const cpu = process.cpuUsage(this.#lastCpu);
    this.#lastCpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const hist: WorkerSample['hist'] = {};
    for (const [name, h] of Object.entries(this.hist) as [HistogramName, Histogram][]) {
      if (h.count > 0) hist[name] = h.take();
    }
    const sample: WorkerSample = {
      worker: this.worker,
      seq: ++this.#seq,
      at,
      intervalMs: at - this.#lastAt,
      ...gauges,
      counters: { ...this.counters },
      errorKinds: this.#errorKinds,
      errorSamples: this.#errorSamples,
      hist,
      cpuMicros: cpu.user + cpu.system,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
    };
    for (const c of COUNTERS) this.counters[c] = 0;
    this.#errorKinds = {};
    this.#errorSamples = [];
    this.#lastAt = at;
    return sample;
  }
}
