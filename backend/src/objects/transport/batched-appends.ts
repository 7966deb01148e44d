import { JetStreamApiError } from '@nats-io/jetstream';
import { headers, type MsgHdrs, type NatsConnection, nuid } from '@nats-io/transport-node';
import { type AckPipeline, NoStreamResponded, type StoredAck } from './ack-pipeline.ts';
import { CommitPolicy } from './commit-policy.ts';
import { TickBatcher } from './tick-batcher.ts';

/** The server takes at most 1,000 messages per batch (its default); a few hundred small states fill one fsync well. */
const MAX_BATCH = 256;
/**
 * One batch out at a time, the next group gathering meanwhile (a group commit); singles hold no slot, they are
 * pipelined. A stream holds at most 50 batches in flight from all its writers; past that a batch is refused and its
 * writes go singly.
 */
const MAX_IN_FLIGHT = 1;
/** Far beyond a group's usual time (a batch of 256 takes ~10 ms), far below the 5 s an ack may take to time out. */
const RELEASE_AFTER_MS = 250;
/** "atomic publish is disabled" on this stream: every later append goes as a publish of its own. */
const ATOMIC_DISABLED = 10174;

/** A publish that stores only if its subject's last sequence is still `after` (0: the subject has no message). */
interface Queued {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly after: number;
  resolve(ack: StoredAck): void;
  reject(err: Error): void;
}

/** How the appends went to the stream; read by metrics and benchmarks. */
export interface AppendStats {
  /** Atomic batches committed, and the appends they stored. */
  batches: number;
  batched: number;
  /** Appends published on their own: where singles were cheaper (see {@link CommitPolicy}), or no batches exist. */
  singles: number;
  /** Appends of a refused batch (a conflict in it, or a server limit), sent again singly. */
  resent: number;
}

/**
 * A group commit across keys: the conditional appends that arrive in one tick, or while earlier groups are out, go
 * together, as one atomic batch (nats-server 2.12+, a stream with `allow_atomic`) where that is cheaper than
 * pipelined single publishes ({@link CommitPolicy}: under per-write fsync, one fsync then stores many objects' states).
 * Each message keeps its own expected last subject sequence, which the server checks at commit, storing all of the
 * batch or none. A refused batch stored nothing, so its appends are sent again one by one and each gets its own
 * outcome: one stale writer does not fail the others. Appends to one subject never share a group (the server checks
 * each only against what was stored before the batch), so a later one waits for the next.
 */
export class BatchedAppends extends TickBatcher<Queued[]> {
  private queue: Queued[] = [];
  private atomic = true;
  private readonly policy = new CommitPolicy();

  constructor(
    private readonly nc: NatsConnection,
    private readonly acks: AckPipeline,
    /** Counted into as appends go out. */
    private readonly stats: AppendStats,
    /** Every group of two or more is a batch, whatever the policy would say. */
    private readonly always = false,
  ) {
    super(MAX_IN_FLIGHT);
  }

  append(subject: string, data: Uint8Array, after: number): Promise<StoredAck> {
    return new Promise((resolve, reject) => {
      this.queue.push({ subject, data, after, resolve, reject });
      this.schedule();
    });
  }

  protected pending(): boolean {
    return this.queue.length > 0;
  }

  /** The oldest queued appends, one per subject, up to a batch's size; the rest keep their order. */
  protected take(): Queued[] {
    const batch: Queued[] = [];
    const rest: Queued[] = [];
    const subjects = new Set<string>();
    for (const append of this.queue) {
      if (batch.length >= MAX_BATCH || subjects.has(append.subject)) rest.push(append);
      else {
        batch.push(append);
        subjects.add(append.subject);
      }
    }
    this.queue = rest;
    return batch;
  }

  /** A batch holds the slot until it is stored, or for at most 250 ms (a lost ack waits 5 s for its timeout). */
  protected send(group: Queued[]): Promise<void> {
    if (!(this.atomic && (this.always ? group.length > 1 : this.policy.batches(group.length)))) {
      void this.sendEach(group, 'singles').then((meanMs) => this.policy.sentSingly(meanMs));
      return Promise.resolve();
    }
    const started = performance.now();
    const stored = this.commit(group).then((batched) => {
      const ms = performance.now() - started;
      // A batch slower than its release, or refused, says nothing of what batches cost.
      if (batched && ms < RELEASE_AFTER_MS) this.policy.sentBatch(ms);
    });
    return new Promise<void>((release) => {
      const timer = setTimeout(release, RELEASE_AFTER_MS);
      void stored.then(() => {
        clearTimeout(timer);
        release();
      });
    });
  }

  /** Resolves, once every append is answered, to their mean latency in ms. */
  private async sendEach(appends: Queued[], counter: 'singles' | 'resent'): Promise<number> {
    this.stats[counter] += appends.length;
    const started = performance.now();
    let total = 0;
    await Promise.all(
      appends.map((a) =>
        this.acks.publish(a.subject, a.data, expecting(a.after)).then(
          (ack) => {
            total += performance.now() - started;
            a.resolve(ack);
          },
          (err: Error) => {
            total += performance.now() - started;
            a.reject(err);
          },
        ),
      ),
    );
    return total / appends.length;
  }

  /** True when the batch was stored as one. */
  private async commit(batch: Queued[]): Promise<boolean> {
    let ack: StoredAck;
    try {
      ack = await this.publishBatch(batch);
    } catch (err) {
      // Nothing of the batch was stored after an error ack, no stream at all, or a batch never committed (the server
      // drops it, incomplete). Anything else (a timeout) may have stored it.
      if (!storedNothing(err)) return rejectAll(batch, err);
      if (err instanceof JetStreamApiError && err.code === ATOMIC_DISABLED) this.atomic = false;
      await this.sendEach(batch, 'resent');
      return false;
    }
    if (ack.count !== batch.length) {
      return rejectAll(batch, new Error(`JetStream committed ${ack.count} messages of a batch of ${batch.length}`));
    }
    this.stats.batches++;
    this.stats.batched += batch.length;
    // The batch is stored in order, on consecutive sequences ending at the ack's.
    batch.forEach((a, i) => {
      a.resolve({ seq: ack.seq - (batch.length - 1 - i), duplicate: false, count: 1 });
    });
    return true;
  }

  /** Only the commit asks for an answer: the server reports a failure anywhere in the batch there. */
  private publishBatch(batch: Queued[]): Promise<StoredAck> {
    const id = nuid.next();
    const last = batch.length - 1;
    for (let i = 0; i < last; i++) {
      const a = batch[i] as Queued;
      try {
        this.nc.publish(a.subject, a.data, { headers: inBatch(expecting(a.after), id, i + 1) });
      } catch (err) {
        throw new BatchNotSent(err); // an oversized value, or a closed connection: sent singly, each fails alone
      }
    }
    const final = batch[last] as Queued;
    const hdrs = inBatch(expecting(final.after), id, last + 1);
    hdrs.set('Nats-Batch-Commit', '1');
    return this.acks.publish(final.subject, final.data, hdrs);
  }
}

class BatchNotSent extends Error {
  override readonly name = 'BatchNotSent';
  constructor(cause: unknown) {
    super(`an atomic batch could not be sent: ${String(cause)}`, { cause });
  }
}

function storedNothing(err: unknown): boolean {
  return err instanceof JetStreamApiError || err instanceof NoStreamResponded || err instanceof BatchNotSent;
}

/** `hdrs` (new ones by default) asking the stream to store only if the subject's last sequence is still `after`. */
export function expecting(after: number, hdrs: MsgHdrs = headers()): MsgHdrs {
  hdrs.set('Nats-Expected-Last-Subject-Sequence', String(after));
  return hdrs;
}

function inBatch(hdrs: MsgHdrs, id: string, sequence: number): MsgHdrs {
  hdrs.set('Nats-Batch-Id', id);
  hdrs.set('Nats-Batch-Sequence', String(sequence));
  return hdrs;
}

function rejectAll(batch: Queued[], err: unknown): false {
  const error = err instanceof Error ? err : new Error(String(err));
  for (const a of batch) a.reject(error);
  return false;
}
