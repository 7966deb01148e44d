import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { type DropReporter, reason } from '../drop-reporter.ts';
import { ErrorCode } from '../errors.ts';
import {
  type BatchFrame,
  type CallFrame,
  type CheckedBatch,
  checkBatch,
  EnvelopeError,
  encodeBatch,
  MAX_FRAMES_PER_BATCH,
  type ReplyFrame,
} from '../messaging/envelope.ts';
import type { OutboundFrame, Transport } from './transport.ts';

export interface InboundHandler {
  onCall(from: string, call: CallFrame): void;
  onReply(from: string, reply: ReplyFrame): void;
}

interface Pending {
  calls: CallFrame[];
  replies: ReplyFrame[];
  bytes: number;
}

/** What may pile up before the node is ready to dispatch (while it joins): a flood beyond this is dropped. */
const MAX_EARLY_MESSAGES = 10_000;
const MAX_EARLY_BYTES = 64 * 1024 * 1024;

/**
 * One inbox subject per node; no per-call subscriptions or request inboxes. Frames for the same node produced in one
 * event-loop tick travel as one NATS message, split only to stay under the server's max payload.
 */
export class NatsTransport implements Transport {
  private readonly outbox = new Map<string, Pending>();
  private flushScheduled = false;
  private readonly sub: Subscription;
  private readonly maxBatchBytes: number;
  /** Batches that arrived before the runtime was ready to dispatch them. */
  private early: Uint8Array[] | undefined = [];
  private earlyBytes = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly cluster: string,
    private readonly self: string,
    private readonly handler: InboundHandler,
    /** Malformed batches and frames, and batches that could not be sent, are dropped and reported here. */
    private readonly drops: DropReporter,
  ) {
    this.maxBatchBytes = Math.max(16 * 1024, Math.floor(nc.info?.max_payload ?? 1024 * 1024) - 4096);
    this.sub = nc.subscribe(inboxSubject(cluster, self), {
      callback: (err, msg) => {
        if (!err) this.receive(msg.data);
      },
    });
  }

  get connected(): boolean {
    return !this.nc.isClosed() && this.nc.info !== undefined && !this.disconnected;
  }

  private disconnected = false;
  /** Times the connection came back after a disconnect (for metrics). */
  reconnects = 0;

  /** Tracks connection state from the client's status stream. */
  async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.disconnected = true;
      else if (s.type === 'reconnect') {
        this.disconnected = false;
        this.reconnects++;
      }
    }
  }

  send(node: string, frame: OutboundFrame): void {
    let pending = this.outbox.get(node);
    if (!pending) {
      pending = { calls: [], replies: [], bytes: 0 };
      this.outbox.set(node, pending);
    }
    const size = frame.kind === 'call' ? frame.call.args.length + 64 : (frame.reply.result?.length ?? 0) + 64;
    const frames = pending.calls.length + pending.replies.length;
    if (pending.bytes + size > this.maxBatchBytes || frames >= MAX_FRAMES_PER_BATCH) this.publish(node, pending);
    if (frame.kind === 'call') pending.calls.push(frame.call);
    else pending.replies.push(frame.reply);
    pending.bytes += size;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    for (const [node, pending] of this.outbox) this.publish(node, pending);
    this.outbox.clear();
  };

  /**
   * Never throws: a destination that cannot be published to (not a valid subject, the connection closed) loses its
   * own frames, counted, and no other destination's. Calls among them time out at their callers, as if lost.
   */
  private publish(node: string, pending: Pending): void {
    if (pending.calls.length === 0 && pending.replies.length === 0) return;
    const batch: BatchFrame = { from: this.self, calls: pending.calls, replies: pending.replies };
    pending.calls = [];
    pending.replies = [];
    pending.bytes = 0;
    try {
      this.nc.publish(inboxSubject(this.cluster, node), encodeBatch(batch));
    } catch (err) {
      const frames = batch.calls.length + batch.replies.length;
      this.drops.drop('unsendable', 'this node', { to: node.slice(0, 80), frames, problem: reason(err) });
    }
  }

  /** The node is ready: handle what arrived while it was joining, then everything as it comes. */
  open(): void {
    const early = this.early ?? [];
    this.early = undefined;
    for (const data of early) this.receive(data);
  }

  private receive(data: Uint8Array): void {
    if (this.early) return this.keepEarly(data);
    let checked: CheckedBatch;
    try {
      checked = checkBatch(data);
    } catch (err) {
      const kind = err instanceof EnvelopeError ? err.kind : 'undecodable';
      return this.drops.drop(kind, 'the inbox', { bytes: data.length, problem: reason(err) });
    }
    const { batch } = checked;
    for (const problem of checked.droppedReplies)
      this.drops.drop('bad_reply', 'the inbox', { from: batch.from, problem });
    for (const { id, problem } of checked.rejectedCalls) this.rejectCall(batch.from, id, problem);
    // One frame that trips the runtime must not cost the frames after it.
    for (const reply of batch.replies) {
      try {
        this.handler.onReply(batch.from, reply);
      } catch (err) {
        this.frameFailed(batch.from, err);
      }
    }
    for (const call of batch.calls) {
      try {
        this.handler.onCall(batch.from, call);
      } catch (err) {
        this.frameFailed(batch.from, err);
      }
    }
  }

  private keepEarly(data: Uint8Array): void {
    const early = this.early!;
    if (early.length >= MAX_EARLY_MESSAGES || this.earlyBytes + data.length > MAX_EARLY_BYTES) {
      return this.drops.drop('early_overflow', 'the inbox', { bytes: data.length, problem: 'arrived while joining' });
    }
    early.push(data);
    this.earlyBytes += data.length;
  }

  /** Its sender and id are usable, so the caller hears why instead of waiting for its deadline. */
  private rejectCall(from: string, id: number, problem: string): void {
    this.drops.drop('bad_call', 'the inbox', { from, problem });
    const errorMessage = `malformed call frame: ${problem}`;
    this.send(from, { kind: 'reply', reply: { id, errorCode: ErrorCode.Serialization, errorMessage } });
  }

  private frameFailed(from: string, err: unknown): void {
    this.drops.drop('frame_failed', 'the inbox', { from, problem: reason(err) });
  }

  async close(): Promise<void> {
    this.flush();
    this.sub.unsubscribe();
  }
}

export function inboxSubject(cluster: string, node: string): string {
  return `rsd.${cluster}.inbox.${node}`;
}
