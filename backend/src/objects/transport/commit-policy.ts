/**
 * Whether a group of appends is cheaper to store as one atomic batch or as pipelined single publishes, from what each
 * cost lately. Neither always wins. A batch to a file stream has a fixed cost (nats-server stages it on disk: ~4 ms
 * on this project's dev VM whatever the sync setting), while singles cost one round trip plus the server's time per
 * message, which is ~0.2 ms where JetStream fsyncs every write (`sync_interval: always`) and ~0.02 ms where it syncs
 * on an interval. So the batch pays for a few dozen writes under per-write fsync and almost never otherwise, and the
 * node cannot ask the server which it is: it measures.
 */
export class CommitPolicy {
  /** The server's time per single publish, past the round trip. Undefined until a group showed it. */
  private perSingleMs: number | undefined;
  /** The quickest first ack of a group of singles: the round trip without the server's queue. */
  private roundTripMs = Number.POSITIVE_INFINITY;
  /** What a batch costs beyond a single's round trip and its messages' own time. */
  private batchFixedMs = PRIOR_BATCH_FIXED_MS;
  private declined = 0;

  /** Should a group of `size` appends go as one atomic batch? */
  batches(size: number): boolean {
    if (size < 2 || this.perSingleMs === undefined) return false;
    if (size * (this.perSingleMs - BATCH_PER_MESSAGE_MS) > this.batchFixedMs) return true;
    // Now and then a batch anyway, so one slow batch (a pause) does not rule batches out for good.
    return size >= EXPLORE_MIN_SIZE && ++this.declined % EXPLORE_EVERY === 0;
  }

  /**
   * A group sent as singles, alone in flight: its first and last acks, in ms after it was sent. Not the acks'
   * spacing: the server flushes them to the client in clumps.
   */
  sentSingly(size: number, firstAckMs: number, lastAckMs: number): void {
    this.roundTripMs = Math.min(this.roundTripMs, firstAckMs);
    if (size >= MIN_SAMPLE_SIZE) this.perSingleMs = ewma(this.perSingleMs, (lastAckMs - this.roundTripMs) / size);
  }

  sentBatch(size: number, ms: number): void {
    const fixed = ms - Math.min(this.roundTripMs, ms) - size * BATCH_PER_MESSAGE_MS;
    this.batchFixedMs = ewma(this.batchFixedMs, Math.max(0, fixed));
  }
}

/** Measured on the dev VM (nats-server 2.15.1, file stream): batches of 2 took 4.0 ms, of 100 4.9, of 256 ~10. */
const PRIOR_BATCH_FIXED_MS = 4;
const BATCH_PER_MESSAGE_MS = 0.02;
/** Fewer acks say more about the round trip than about the server's time per message. */
const MIN_SAMPLE_SIZE = 8;
const EXPLORE_MIN_SIZE = 16;
const EXPLORE_EVERY = 64;
const WEIGHT = 0.2;

function ewma(previous: number | undefined, sample: number): number {
  return previous === undefined ? sample : previous + WEIGHT * (sample - previous);
}
