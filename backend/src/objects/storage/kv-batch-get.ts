import type { CompletionResult, JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { TimeoutError } from '@nats-io/transport-node';
import { TickBatcher } from '../transport/tick-batcher.ts';

/** A key's last message as a read sees it: its KV operation (`PUT`, `DEL`, `PURGE`), bytes and stream sequence. */
export interface LastEntry {
  readonly operation: string;
  readonly value: Uint8Array;
  readonly revision: number;
}

/** nats-server answers at most 1024 subjects per `multi_last` request ("too many results" beyond). */
const MAX_KEYS = 1024;
/** Keeps a request well under the server's default 1 MiB max_payload, whatever the keys' lengths. */
const MAX_REQUEST_BYTES = 256 * 1024;
/** Batches in flight at once; loads arriving meanwhile wait for the next one. */
const MAX_IN_FLIGHT = 2;
/** A batch the server stopped answering midway fails its waiters instead of holding them. */
const BATCH_TIMEOUT_MS = 10_000;

interface Waiter {
  resolve(entry: LastEntry | undefined): void;
  reject(err: Error): void;
}

/**
 * Reads of single keys coalesced into batch direct gets (`multi_last`, nats-server 2.11+): the loads that arrive in
 * one tick, or while the batches in flight are out, go as one request. Each caller gets its own key's last entry, or
 * undefined when the key has none; an error fails every waiter of its batch.
 */
export class BatchGetter extends TickBatcher<Map<string, Waiter[]>> {
  /** Subject → everyone waiting for it, in arrival order; at most {@link MAX_KEYS} subjects per batch. */
  private queued = new Map<string, Waiter[]>();
  private queuedBytes = 0;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
  ) {
    super(MAX_IN_FLIGHT);
  }

  get(subject: string): Promise<LastEntry | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.queued.get(subject);
      if (waiters) return void waiters.push({ resolve, reject });
      this.queued.set(subject, [{ resolve, reject }]);
      this.queuedBytes += subject.length + 3; // the quotes and comma around it in the request
      this.schedule();
    });
  }

  protected pending(): boolean {
    return this.queued.size > 0;
  }

  /** The oldest queued subjects, up to a batch's bounds. */
  protected take(): Map<string, Waiter[]> {
    if (this.queued.size <= MAX_KEYS && this.queuedBytes <= MAX_REQUEST_BYTES) {
      const all = this.queued;
      this.queued = new Map();
      this.queuedBytes = 0;
      return all;
    }
    const batch = new Map<string, Waiter[]>();
    let bytes = 0;
    for (const [subject, waiters] of this.queued) {
      const size = subject.length + 3;
      if (batch.size > 0 && (batch.size >= MAX_KEYS || bytes + size > MAX_REQUEST_BYTES)) break;
      batch.set(subject, waiters);
      bytes += size;
      this.queued.delete(subject);
    }
    this.queuedBytes -= bytes;
    return batch;
  }

  protected async send(batch: Map<string, Waiter[]>): Promise<void> {
    try {
      const found = await this.fetch([...batch.keys()]);
      for (const [subject, waiters] of batch) {
        const entry = found.get(subject);
        for (const w of waiters) w.resolve(entry);
      }
    } catch (err) {
      const failure = new Error(`batch get of ${batch.size} keys from ${this.stream} failed: ${String(err)}`, {
        cause: err,
      });
      for (const waiters of batch.values()) for (const w of waiters) w.reject(failure);
    }
  }

  /** The callback form: measured at ~1.6x the keys per second of iterating the same replies. */
  private fetch(subjects: string[]): Promise<Map<string, LastEntry>> {
    const found = new Map<string, LastEntry>();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let ended = false;
      const callback = (done: CompletionResult | null, msg: StoredMsg) => {
        if (!done) return void found.set(msg.subject, lastEntry(msg));
        ended = true;
        clearTimeout(timer);
        if (done.err) reject(done.err);
        else resolve(found);
      };
      this.jsm.direct.getLastMessagesFor(this.stream, { multi_last: subjects, callback }).then((replies) => {
        if (!ended) timer = setTimeout(() => replies.stop(new TimeoutError()), BATCH_TIMEOUT_MS);
      }, reject);
    });
  }
}

function lastEntry(msg: StoredMsg): LastEntry {
  return { operation: msg.header.get('KV-Operation') || 'PUT', value: msg.data, revision: msg.seq };
}
