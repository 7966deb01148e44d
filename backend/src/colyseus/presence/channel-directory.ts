import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { decodeString, decodeStrings, encodeString, encodeStrings, GARBAGE } from './codec.ts';
import type { GarbageCounter } from './garbage.ts';
import { globMatcher } from './glob.ts';
import type { PresenceSubjects } from './topics.ts';

export interface ChannelWindow {
  /** Stop collecting this long after the latest answer. */
  readonly stallMs: number;
  /** Never wait longer than this in total. */
  readonly maxWaitMs: number;
}

export const DEFAULT_CHANNEL_WINDOW: ChannelWindow = { stallMs: 100, maxWaitMs: 1000 };

/** Colyseus asks for short patterns (`p:*`); a longer one from the network is not answered. */
const MAX_PATTERN = 1024;

/**
 * `channels(pattern)` cluster-wide, like Redis `PUBSUB CHANNELS`: NATS cannot list another client's subscriptions, so
 * every presence instance answers a scatter-gather request with its own matching topics, and the asker merges the
 * answers that arrive within a short window. The asker always answers itself, so the window is measured from real
 * answers. An instance that answers too late is missing from the result; Colyseus then health-checks that process
 * over IPC, which it answers, so a miss costs a round trip, never a false removal.
 */
export class ChannelDirectory {
  private readonly responder: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: PresenceSubjects,
    private readonly local: () => string[],
    private readonly garbage: GarbageCounter,
    private readonly log: Logger,
    private readonly window: ChannelWindow = DEFAULT_CHANNEL_WINDOW,
  ) {
    this.responder = nc.subscribe(subjects.channels, {
      callback: (err, msg) => {
        if (!err) this.answer(msg);
      },
    });
  }

  async query(pattern: string): Promise<string[]> {
    const found = new Set(matching(this.local(), pattern));
    try {
      const replies = await this.nc.requestMany(this.subjects.channels, encodeString(pattern), {
        strategy: 'stall',
        stall: this.window.stallMs,
        maxWait: this.window.maxWaitMs,
      });
      for await (const msg of replies) this.merge(found, msg);
    } catch (err) {
      // Our own answer is already in `found`; others' are best effort, as the class comment says.
      this.log.debug({ err }, 'presence: channels request ended early');
    }
    return [...found];
  }

  close(): void {
    this.responder.unsubscribe();
  }

  private answer(msg: Msg): void {
    const pattern = decodeString(msg.data);
    if (pattern === GARBAGE || pattern.length > MAX_PATTERN) return this.garbage.note(msg.subject, msg.data.length);
    try {
      msg.respond(encodeStrings(matching(this.local(), pattern)));
    } catch (err) {
      // The connection is closing: the asker merges whatever answers arrive, and this one no longer can.
      this.log.debug({ err }, 'presence: cannot answer a channels request');
    }
  }

  private merge(found: Set<string>, msg: Msg): void {
    const names = decodeStrings(msg.data);
    if (names === GARBAGE) return this.garbage.note(msg.subject, msg.data.length);
    for (const name of names) found.add(name);
  }
}

function matching(names: string[], pattern: string): string[] {
  if (pattern === '*') return names;
  const match = globMatcher(pattern);
  return names.filter(match);
}
