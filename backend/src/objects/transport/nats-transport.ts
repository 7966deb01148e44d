import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { type BatchFrame, type CallFrame, decodeBatch, encodeBatch, type ReplyFrame } from '../messaging/envelope.ts';
import type { RuntimeMetrics } from '../metrics.ts';
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

/**
 * One inbox subject per node; no per-call subscriptions or request inboxes. Frames for the same node produced in one
 * event-loop tick travel as one NATS message, split only to stay under the server's max payload.
 */
export class NatsTransport implements Transport {
  private readonly outbox = new Map<string, Pending>();
  private flushScheduled = false;
  private readonly sub: Subscription;
  private readonly garbageSeen = new Set<string>();
  private readonly maxBatchBytes: number;
  /** Batches that arrived before the runtime was ready to dispatch them. */
  private early: Uint8Array[] | undefined = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly cluster: string,
    private readonly self: string,
    private readonly handler: InboundHandler,
    private readonly log: Logger,
    private readonly metrics: RuntimeMetrics,
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

  /** Tracks connection state from the client's status stream. */
  async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.disconnected = true;
      else if (s.type === 'reconnect') this.disconnected = false;
    }
  }

  send(node: string, frame: OutboundFrame): void {
    let pending = this.outbox.get(node);
    if (!pending) {
      pending = { calls: [], replies: [], bytes: 0 };
      this.outbox.set(node, pending);
    }
    const size = frame.kind === 'call' ? frame.call.args.length + 64 : (frame.reply.result?.length ?? 0) + 64;
    if (pending.bytes + size > this.maxBatchBytes) this.publish(node, pending);
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

  private publish(node: string, pending: Pending): void {
    if (pending.calls.length === 0 && pending.replies.length === 0) return;
    const batch: BatchFrame = { from: this.self, calls: pending.calls, replies: pending.replies };
    pending.calls = [];
    pending.replies = [];
    pending.bytes = 0;
    this.nc.publish(inboxSubject(this.cluster, node), encodeBatch(batch));
  }

  /** The node is ready: handle what arrived while it was joining, then everything as it comes. */
  open(): void {
    const early = this.early ?? [];
    this.early = undefined;
    for (const data of early) this.receive(data);
  }

  private receive(data: Uint8Array): void {
    if (this.early) {
      if (this.early.length < 10_000) this.early.push(data);
      return;
    }
    let batch: BatchFrame;
    try {
      batch = decodeBatch(data);
    } catch (err) {
      this.garbage(err instanceof Error ? err.name : 'unknown', err);
      return;
    }
    for (const reply of batch.replies) this.handler.onReply(batch.from, reply);
    for (const call of batch.calls) this.handler.onCall(batch.from, call);
  }

  /** Counted always, logged once per kind so a flood of garbage cannot flood the log. */
  private garbage(kind: string, err: unknown): void {
    this.metrics.garbage(kind);
    if (this.garbageSeen.has(kind)) return;
    this.garbageSeen.add(kind);
    this.log.warn(
      { kind, err: String(err) },
      'undecodable message on inbox (further ones of this kind are only counted)',
    );
  }

  async close(): Promise<void> {
    this.flush();
    this.sub.unsubscribe();
  }
}

export function inboxSubject(cluster: string, node: string): string {
  return `rsd.${cluster}.inbox.${node}`;
}
