import type { Logger } from 'pino';

/** At most one log line per kind in this window; the rest are counted and the count goes into the next line. */
const DEFAULT_LOG_EVERY_MS = 10_000;

interface KindLog {
  /** Local monotonic time of the last line written for this kind. */
  at: number;
  suppressed: number;
}

/**
 * Input read from NATS that is malformed (a frame, an envelope, a KV entry) is dropped, never thrown. Each drop is
 * counted by kind (for metrics) and logged, but a flood of one kind writes one line per window, carrying the
 * number of drops it left out, so a noisy or buggy peer cannot flood the log.
 */
export class DropReporter {
  private readonly kinds = new Map<string, KindLog>();

  constructor(
    private readonly log: Logger,
    private readonly count: (kind: string) => void,
    private readonly logEveryMs = DEFAULT_LOG_EVERY_MS,
  ) {}

  /** `what` says where it came from ("the inbox", "the members bucket"); `detail` why it was dropped. */
  drop(kind: string, what: string, detail: Readonly<Record<string, unknown>>): void {
    this.report(kind, `dropped malformed input from ${what}`, detail);
  }

  /** Counts and logs (rate-limited) any problem with what arrives that is not one dropped value. */
  report(kind: string, message: string, detail: Readonly<Record<string, unknown>>): void {
    this.count(kind);
    const now = performance.now();
    const seen = this.kinds.get(kind);
    if (seen && now - seen.at < this.logEveryMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.kinds.set(kind, { at: now, suppressed: 0 });
    this.log.warn({ kind, ...detail, ...(suppressed > 0 ? { suppressed } : {}) }, message);
  }
}

/** A short, loggable description of anything thrown. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
