import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { decodeMessage, GARBAGE } from './codec.ts';
import type { GarbageCounter } from './garbage.ts';
import type { PresenceSubjects } from './topics.ts';

/**
 * A subscriber's callback. The payload is whatever the publisher sent (msgpack-decoded); it is not checked, so the
 * parameter type is the caller's claim, as with Redis.
 */
export type TopicCallback = (data: never) => unknown;

interface Topic {
  readonly sub: Subscription;
  readonly callbacks: TopicCallback[];
}

/** This instance's topic subscriptions: one NATS subscription per topic, fanned out to its callbacks. */
export class TopicHub {
  private readonly topics = new Map<string, Topic>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: PresenceSubjects,
    private readonly garbage: GarbageCounter,
    private readonly log: Logger,
  ) {}

  add(topic: string, callback: TopicCallback): void {
    const existing = this.topics.get(topic);
    if (existing) {
      existing.callbacks.push(callback);
      return;
    }
    const callbacks = [callback];
    const sub = this.nc.subscribe(this.subjects.topic(topic), {
      callback: (err, msg) => {
        if (!err) this.deliver(topic, callbacks, msg);
      },
    });
    this.topics.set(topic, { sub, callbacks });
  }

  /** Removes one registration of `callback` (the latest, like EventEmitter), or every callback when none is given. */
  remove(topic: string, callback?: TopicCallback): void {
    const entry = this.topics.get(topic);
    if (!entry) return;
    if (callback) {
      const at = entry.callbacks.lastIndexOf(callback);
      if (at >= 0) entry.callbacks.splice(at, 1);
    } else entry.callbacks.length = 0;
    if (entry.callbacks.length > 0) return;
    this.topics.delete(topic);
    entry.sub.unsubscribe();
  }

  names(): string[] {
    return [...this.topics.keys()];
  }

  clear(): void {
    for (const topic of [...this.topics.keys()]) this.remove(topic);
  }

  private deliver(topic: string, callbacks: TopicCallback[], msg: Msg): void {
    const data = decodeMessage(msg.data);
    if (data === GARBAGE) return this.garbage.note(msg.subject, msg.data.length);
    // A copy: callbacks often unsubscribe themselves (Colyseus IPC replies do), which must not skip the next one.
    for (const callback of callbacks.slice()) this.invoke(topic, callback, data);
  }

  /** One failing callback must not keep the others from their message, nor break the subscription. */
  private invoke(topic: string, callback: TopicCallback, data: unknown): void {
    try {
      const out = (callback as (data: unknown) => unknown)(data);
      if (out instanceof Promise) out.catch((err: unknown) => this.callbackFailed(topic, err));
    } catch (err) {
      this.callbackFailed(topic, err);
    }
  }

  private callbackFailed(topic: string, err: unknown): void {
    this.log.error({ topic, err }, 'presence: a subscriber callback threw');
  }
}
