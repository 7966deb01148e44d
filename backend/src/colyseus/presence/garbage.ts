import type { Logger } from 'pino';

/**
 * Counts messages on presence subjects that are not ours (not valid msgpack, or the wrong shape). Anyone on the NATS
 * account can publish there, so garbage is dropped, never handed to a callback; the first one is logged, the rest
 * only counted, so a noisy publisher cannot flood the log.
 */
export class GarbageCounter {
  private count = 0;

  constructor(private readonly log: Logger) {}

  get total(): number {
    return this.count;
  }

  note(subject: string, bytes: number): void {
    this.count++;
    if (this.count === 1) {
      this.log.warn({ subject, bytes }, 'presence: ignoring a message that is not valid msgpack (counted from now on)');
    }
  }
}
