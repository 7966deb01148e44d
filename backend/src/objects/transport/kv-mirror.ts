import type { KV, KvEntry } from '@nats-io/kv';

export type MirrorListener = (key: string, entry: KvEntry | undefined) => void;

/**
 * A local copy of a KV bucket kept current by a watch. `ready` resolves once everything that was in the bucket when
 * the mirror started has arrived, so readers never act on a half-loaded view.
 */
export class KvMirror {
  readonly entries = new Map<string, KvEntry>();
  readonly ready: Promise<void>;
  private stopWatch: (() => void) | undefined;

  private constructor(ready: Promise<void>) {
    this.ready = ready;
  }

  static async start(kv: KV, onChange: MirrorListener): Promise<KvMirror> {
    const lastSeq = (await kv.status()).streamInfo.state.last_seq;
    let markReady!: () => void;
    const mirror = new KvMirror(new Promise<void>((resolve) => (markReady = resolve)));
    if (lastSeq === 0) markReady();
    const watch = await kv.watch();
    mirror.stopWatch = () => watch.stop();
    void (async () => {
      for await (const entry of watch) {
        mirror.apply(entry, onChange);
        if (entry.revision >= lastSeq) markReady();
      }
    })();
    return mirror;
  }

  private apply(entry: KvEntry, onChange: MirrorListener): void {
    const known = this.entries.get(entry.key);
    if (known && known.revision >= entry.revision) return;
    if (entry.operation === 'PUT') this.entries.set(entry.key, entry);
    else this.entries.delete(entry.key);
    onChange(entry.key, entry.operation === 'PUT' ? entry : undefined);
  }

  stop(): void {
    this.stopWatch?.();
  }
}
