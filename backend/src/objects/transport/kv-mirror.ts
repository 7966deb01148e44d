import { setTimeout as sleep } from 'node:timers/promises';
import type { KV, KvEntry } from '@nats-io/kv';
import { type DropReporter, reason } from '../drop-reporter.ts';

export type MirrorListener = (key: string, entry: KvEntry | undefined) => void;

const RESTART_BACKOFF_MS = [100, 250, 500, 1000, 2000];
/** How often the mirror checks that its watch still delivers what the bucket holds. */
const WATCHDOG_MS = 1000;

/**
 * A local copy of a KV bucket kept current by a watch. `ready` resolves once everything that was in the bucket when
 * the mirror started has arrived, so readers never act on a half-loaded view.
 *
 * Nothing read from the bucket stops the watch: an entry the listener cannot take is dropped and reported, and a
 * watch that ends or stalls (its consumer deleted, say, which nats.js does not notice) starts again after the last
 * revision it delivered.
 */
export class KvMirror {
  readonly entries = new Map<string, KvEntry>();
  readonly ready: Promise<void>;
  private stopWatch: (() => void) | undefined;
  private stopped = false;
  private lastRevision = 0;
  /** The bucket's last revision at the previous check, when the watch was behind it. */
  private awaited = 0;
  private readonly watchdog: NodeJS.Timeout;

  private constructor(
    private readonly kv: KV,
    private readonly onChange: MirrorListener,
    private readonly drops: DropReporter,
    ready: Promise<void>,
  ) {
    this.ready = ready;
    this.watchdog = setInterval(() => void this.checkWatch(), WATCHDOG_MS);
    this.watchdog.unref();
  }

  static async start(kv: KV, onChange: MirrorListener, drops: DropReporter): Promise<KvMirror> {
    const lastSeq = (await kv.status()).streamInfo.state.last_seq;
    let markReady!: () => void;
    const mirror = new KvMirror(kv, onChange, drops, new Promise<void>((resolve) => (markReady = resolve)));
    if (lastSeq === 0) markReady();
    const watch = await kv.watch();
    void mirror.follow(watch, (revision) => {
      if (revision >= lastSeq) markReady();
    });
    return mirror;
  }

  private async follow(watch: AsyncIterable<KvEntry> & { stop(): void }, seen: (revision: number) => void) {
    for (let restarts = 0; !this.stopped; restarts++) {
      this.stopWatch = () => watch.stop();
      try {
        for await (const entry of watch) {
          restarts = 0;
          this.lastRevision = Math.max(this.lastRevision, entry.revision);
          this.apply(entry);
          seen(entry.revision);
        }
      } catch (err) {
        this.watchTrouble(`the watch failed: ${reason(err)}`);
      }
      if (this.stopped) return;
      await sleep(RESTART_BACKOFF_MS[Math.min(restarts, RESTART_BACKOFF_MS.length - 1)]!);
      watch = await this.rewatch().catch((err: unknown) => {
        this.watchTrouble(`cannot watch again: ${reason(err)}`);
        return emptyWatch();
      });
    }
  }

  /** A watch still behind a revision the bucket had one check ago has stalled: it is stopped, and follow() resumes. */
  private async checkWatch(): Promise<void> {
    let last: number;
    try {
      last = (await this.kv.status()).streamInfo.state.last_seq;
    } catch {
      return; // NATS is unreachable; nothing to compare with
    }
    if (this.stopped) return;
    if (this.awaited > this.lastRevision) {
      this.watchTrouble(`the watch stalled before revision ${this.awaited}`);
      this.stopWatch?.();
    }
    this.awaited = last > this.lastRevision ? last : 0;
  }

  private rewatch() {
    const from = this.lastRevision + 1;
    return this.kv.watch(this.lastRevision > 0 ? { resumeFromRevision: from } : {});
  }

  private apply(entry: KvEntry): void {
    try {
      const known = this.entries.get(entry.key);
      if (known && known.revision >= entry.revision) return;
      if (entry.operation === 'PUT') this.entries.set(entry.key, entry);
      else this.entries.delete(entry.key);
      this.onChange(entry.key, entry.operation === 'PUT' ? entry : undefined);
    } catch (err) {
      this.drops.drop('kv_entry', `bucket ${bucketName(this.kv)}`, { key: entry.key, problem: reason(err) });
    }
  }

  private watchTrouble(problem: string): void {
    const message = `watch of bucket ${bucketName(this.kv)} interrupted; watching again from the last revision`;
    this.drops.report('kv_watch', message, { problem });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.watchdog);
    this.stopWatch?.();
  }
}

/** nats.js keeps the name on its bucket object without declaring it in the KV interface. */
function bucketName(kv: KV): string {
  return (kv as unknown as { bucket?: string }).bucket ?? '?';
}

/** Stands in for a watch that could not be opened, so the loop waits and tries again. */
function emptyWatch(): AsyncIterable<KvEntry> & { stop(): void } {
  return { stop() {}, async *[Symbol.asyncIterator]() {} };
}
