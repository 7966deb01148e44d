import { setTimeout as sleep } from 'node:timers/promises';
import type { KV, KvEntry } from '@nats-io/kv';
import { type DropReporter, reason } from '../drop-reporter.ts';

export type MirrorListener = (key: string, entry: KvEntry | undefined) => void;

const RESTART_BACKOFF_MS = [100, 250, 500, 1000, 2000];

/**
 * A local copy of a KV bucket kept current by a watch. `ready` resolves once everything that was in the bucket when
 * the mirror started has arrived, so readers never act on a half-loaded view.
 *
 * Nothing read from the bucket stops the watch: an entry the listener cannot take is dropped and reported, and a
 * watch that ends (its consumer deleted, say) starts again after the last revision it delivered.
 */
export class KvMirror {
  readonly entries = new Map<string, KvEntry>();
  readonly ready: Promise<void>;
  private stopWatch: (() => void) | undefined;
  private stopped = false;
  private lastRevision = 0;

  private constructor(
    private readonly kv: KV,
    private readonly onChange: MirrorListener,
    private readonly drops: DropReporter,
    ready: Promise<void>,
  ) {
    this.ready = ready;
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
        this.report('kv_watch', '', `the watch failed: ${reason(err)}`);
      }
      if (this.stopped) return;
      await sleep(RESTART_BACKOFF_MS[Math.min(restarts, RESTART_BACKOFF_MS.length - 1)]!);
      watch = await this.rewatch().catch((err: unknown) => {
        this.report('kv_watch', '', `cannot watch again: ${reason(err)}`);
        return emptyWatch();
      });
    }
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
      this.report('kv_entry', entry.key, reason(err));
    }
  }

  private report(kind: string, key: string, problem: string): void {
    this.drops.drop(kind, `bucket ${bucketName(this.kv)}`, { key, problem });
  }

  stop(): void {
    this.stopped = true;
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
