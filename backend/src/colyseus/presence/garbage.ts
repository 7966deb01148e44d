import type { Logger } from 'pino';
import { DropReporter } from '../../objects/internal.ts';

/**
 * Counts messages on presence subjects that are not ours (not valid msgpack, or the wrong shape). Anyone on the NATS
 * account can publish there, so garbage is dropped, never handed to a callback; it is logged at most once per window,
 * so a noisy publisher cannot flood the log.
 */
export class GarbageCounter {
  private count = 0;
  private readonly drops: DropReporter;

  /** `countDrop` is told each drop's kind too, e.g. to count it in the node's metrics. */
  constructor(log: Logger, countDrop?: (kind: string) => void) {
    this.drops = new DropReporter(log, (kind) => {
      this.count++;
      countDrop?.(kind);
    });
  }

  get total(): number {
    return this.count;
  }

  note(subject: string, bytes: number): void {
    this.drops.drop('presence_message', 'a presence subject', { subject, bytes });
  }
}
