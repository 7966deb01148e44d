// A mergeable latency histogram (ms): 10 µs steps below 1 ms, then buckets 2 % apart up to ~100 s. Workers send
// deltas; the coordinator adds them up, so percentiles come from all samples, never from averaged percentiles.

const LINEAR = 100; // [0, 1) ms in 10 µs steps
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const SIZE = LINEAR + Math.ceil(Math.log(100_000) / LOG_GROWTH) + 1;

/** Non-empty buckets as [index, count, index, count, …]: small on the wire. */
export type SparseHistogram = number[];

export class Histogram {
  readonly counts = new Float64Array(SIZE);
  count = 0;
  max = 0;

  record(ms: number): void {
    if (!(ms >= 0)) return;
    const i = ms < 1 ? Math.floor(ms * LINEAR) : Math.min(SIZE - 1, LINEAR + Math.floor(Math.log(ms) / LOG_GROWTH));
    this.counts[i]! += 1;
    this.count += 1;
    if (ms > this.max) this.max = ms;
  }

  /** The value below which `p` percent of the samples lie (bucket midpoint), or NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketValue(i), this.max);
    }
    return this.max;
  }

  add(other: Histogram | SparseHistogram): void {
    if (other instanceof Histogram) {
      for (let i = 0; i < SIZE; i++) this.counts[i]! += other.counts[i]!;
      this.count += other.count;
      this.max = Math.max(this.max, other.max);
      return;
    }
    // The last pair of a sparse histogram carries the max as [-1, max].
    for (let k = 0; k + 1 < other.length; k += 2) {
      const i = other[k]!;
      if (i < 0) this.max = Math.max(this.max, other[k + 1]!);
      else {
        this.counts[i]! += other[k + 1]!;
        this.count += other[k + 1]!;
      }
    }
  }

  toSparse(): SparseHistogram {
    const out: number[] = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i]! > 0) out.push(i, this.counts[i]!);
    if (this.count > 0) out.push(-1, this.max);
    return out;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }

  /** Returns the samples so far as a sparse delta and starts over. */
  take(): SparseHistogram {
    const out = this.toSparse();
    this.reset();
    return out;
  }
}

function bucketValue(i: number): number {
  if (i < LINEAR) return (i + 0.5) / LINEAR;
  return GROWTH ** (i - LINEAR) * Math.sqrt(GROWTH);
}

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(h: Histogram): Percentiles {
  const r = (v: number) => (Number.isNaN(v) ? Number.NaN : Math.round(v * 100) / 100);
  return {
    count: h.count,
    p50: r(h.percentile(50)),
    p95: r(h.percentile(95)),
    p99: r(h.percentile(99)),
    max: r(h.max),
  };
}
