import { type ApiError, JetStreamApiError } from '@nats-io/jetstream';
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, TimeoutError } from '@nats-io/transport-node';

/** What the stream said about one published message. */
export interface StoredAck {
  readonly seq: number;
  /** The stream already held a message with this message id (`Nats-Msg-Id`); nothing new was stored. */
  readonly duplicate: boolean;
  /** How many messages the ack covers: the size of the atomic batch it commits, else 1. */
  readonly count: number;
}

/** No stream took the message (on that server, nothing listens on its subject yet), so it was not stored. */
export class NoStreamResponded extends Error {
  override readonly name = 'NoStreamResponded';
  constructor(subject: string) {
    super(`no JetStream stream answered a publish to ${subject}`);
  }
}

interface Pending {
  resolve(ack: StoredAck): void;
  reject(err: Error): void;
  readonly subject: string;
}

interface PubAckBody {
  readonly stream?: string;
  readonly seq?: number;
  readonly duplicate?: boolean;
  /** Set on the ack that commits an atomic batch. */
  readonly count?: number;
  readonly error?: ApiError;
}

const NO_RESPONDERS = 503;
/** As long as nats.js's JetStream client waits for an ack by default. */
const ACK_TIMEOUT_MS = 5_000;

/**
 * JetStream publishes that do not wait for each other: each one goes out at once with its own reply subject on one
 * shared subscription, and the publishes of one tick share one timeout timer. The same checks as `js.publish`
 * (expected sequences, message ids travel in the caller's headers), at a fraction of its cost per message, measured
 * at ~4x its throughput with 256 writers in flight on one connection.
 */
export class AckPipeline {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix: string;
  private next = 0;
  /** Reply subjects published this tick; they time out together. */
  private tick: string[] | undefined;

  constructor(private readonly nc: NatsConnection) {
    this.prefix = `${createInbox(inboxPrefixOf(nc))}.`;
    const sub = nc.subscribe(`${this.prefix}*`, { callback: (_err, msg) => this.answered(msg) });
    void sub.closed.then(() => this.failAll(new Error('the connection closed before JetStream acknowledged')));
  }

  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<StoredAck> {
    const reply = this.prefix + (this.next++).toString(36);
    const acked = new Promise<StoredAck>((resolve, reject) => this.pending.set(reply, { resolve, reject, subject }));
    try {
      this.nc.publish(subject, data, { reply, headers });
    } catch (err) {
      this.settle(reply)?.reject(err as Error);
      return acked;
    }
    this.timeWith(reply);
    return acked;
  }

  private timeWith(reply: string): void {
    if (this.tick) return void this.tick.push(reply);
    const tick = [reply];
    this.tick = tick;
    setImmediate(() => {
      if (this.tick === tick) this.tick = undefined;
    });
    setTimeout(() => {
      for (const r of tick) this.settle(r)?.reject(new TimeoutError());
    }, ACK_TIMEOUT_MS).unref();
  }

  private answered(msg: Msg): void {
    const waiter = this.settle(msg.subject);
    if (!waiter) return; // timed out already, or not ours
    if (msg.headers?.code === NO_RESPONDERS) return waiter.reject(new NoStreamResponded(waiter.subject));
    let body: PubAckBody;
    try {
      body = msg.json<PubAckBody>();
    } catch (err) {
      return waiter.reject(new Error(`unreadable JetStream ack for ${waiter.subject}`, { cause: err }));
    }
    if (body.error) return waiter.reject(new JetStreamApiError(body.error));
    if (!body.stream || !Number.isSafeInteger(body.seq)) {
      return waiter.reject(new Error(`JetStream ack for ${waiter.subject} names no stream sequence`));
    }
    const count = body.count ?? 1;
    if (!Number.isSafeInteger(count) || count < 1) {
      return waiter.reject(new Error(`JetStream ack for ${waiter.subject} counts ${String(body.count)} messages`));
    }
    waiter.resolve({ seq: body.seq as number, duplicate: body.duplicate === true, count });
  }

  private settle(reply: string): Pending | undefined {
    const waiter = this.pending.get(reply);
    this.pending.delete(reply);
    return waiter;
  }

  private failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}

/** The prefix the connection's own requests reply under (a node's is inside its cluster's namespace, by permission). */
function inboxPrefixOf(nc: NatsConnection): string | undefined {
  // nats.js keeps the connection's options on its implementation, not on the NatsConnection interface.
  return (nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
}
