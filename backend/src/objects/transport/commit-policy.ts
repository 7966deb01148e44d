/**
 * Whether a group of appends should wait for one atomic batch or go as pipelined single publishes, from how long each
 * took lately. Neither always wins. A batch to a file stream takes ~4 ms or more on the server whatever the sync
 * setting (nats-server stages it on disk). A single write takes a round trip plus its place in the server's queue:
 * where JetStream fsyncs every write (`sync_interval: always`) each write ahead costs ~0.2 ms, so under load singles
 * wait tens of milliseconds behind each other's fsyncs; where it syncs on an interval they stay near a round trip.
 * The node cannot ask the server which it is, so it compares what its writes saw: batch while single writes take
 * longer than batches do. Now and then it tries the other way, so the figures stay current.
 */
export class CommitPolicy {
  /** Mean ack latency of the writes of a group sent singly; undefined until one was. */
  private singleMs: number | undefined;
  /** Latency of a whole atomic batch. */
  private batchMs = PRIOR_BATCH_MS;
  private groups = 0;

  /** Should a group of `size` appends go as one atomic batch? */
  batches(size: number): boolean {
    if (size < 2 || this.singleMs === undefined) return false;
    const explore = size >= EXPLORE_MIN_SIZE && ++this.groups % EXPLORE_EVERY === 0;
    return this.singleMs > this.batchMs !== explore;
  }

  /** A group sent singly, with the mean latency of its writes' acks. */
  sentSingly(meanMs: number): void {
    this.singleMs = ewma(this.singleMs, meanMs);
  }

  sentBatch(ms: number): void {
    this.batchMs = ewma(this.batchMs, ms);
  }
}

/** Measured on the dev VM (nats-server 2.15.1, file stream): batches of 2 to 100 took 4.0–4.9 ms. */
const PRIOR_BATCH_MS = 5;
/** Groups too small to gain from a batch are not tried either way. */
const EXPLORE_MIN_SIZE = 16;
const EXPLORE_EVERY = 64;
const WEIGHT = 0.2;

function ewma(previous: number | undefined, sample: number): number {
  return previous === undefined ? sample : previous + WEIGHT * (sample - previous);
}
