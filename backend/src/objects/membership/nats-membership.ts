import type { KvEntry } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { DropReporter } from '../drop-reporter.ts';
import type { CasBucket } from '../transport/cas-bucket.ts';
import { KvMirror } from '../transport/kv-mirror.ts';
import type { MemberInfo, MemberStatus, Membership } from './member.ts';
import type { MemberEntry, MemberEntryCodec } from './member-entry.ts';

export interface NatsMembershipOptions {
  readonly bucket: CasBucket;
  readonly self: MemberInfo;
  readonly log: Logger;
  /** How often this node writes its heartbeat. */
  readonly heartbeatMs: number;
  /** A member whose heartbeat has not been seen for this long is dead. */
  readonly suspectMs: number;
  /** Signs this node's entries and checks everyone else's. */
  readonly codec: MemberEntryCodec;
  /** Entries that are malformed, unsigned or replayed are dropped and reported here. */
  readonly drops: DropReporter;
}

/** Heartbeat counts remembered per incarnation, also after it is gone, so a replayed old entry cannot revive it. */
const REMEMBERED_INCARNATIONS = 4096;

interface Seen {
  info: MemberInfo;
  revision: number;
  /** Local monotonic time the last heartbeat arrived. */
  at: number;
}

/**
 * Membership in a JetStream KV bucket (works on nats-server 2.9: no per-key TTL needed). Each node rewrites its own
 * key as a heartbeat; every node watches the bucket and declares a member dead when its heartbeats stop, measured on
 * its own clock. A node's lease (its right to act as an owner) runs out well before others can declare it dead.
 */
export class NatsMembership implements Membership {
  private current: MemberInfo;
  private readonly seen = new Map<string, Seen>();
  /** `id/incarnation` → the highest heartbeat count seen, in least-recently-seen order. */
  private readonly lastSeq = new Map<string, number>();
  private seq = 0;
  private readonly listeners: (() => void)[] = [];
  private readonly lapseListeners: (() => void)[] = [];
  private mirror: KvMirror | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastBeatSent = Number.NEGATIVE_INFINITY;
  private readonly leaseMs: number;
  private stopped = false;
  /** Server time of our first heartbeat: entries already older than suspectMs then are leftovers of dead nodes. */
  private joinedAt = 0;

  private constructor(private readonly opts: NatsMembershipOptions) {
    this.current = opts.self;
    this.leaseMs = opts.suspectMs - 2 * opts.heartbeatMs;
    if (this.leaseMs <= opts.heartbeatMs) throw new Error('suspectMs must exceed 3 × heartbeatMs');
  }

  static async join(opts: NatsMembershipOptions): Promise<NatsMembership> {
    const m = new NatsMembership(opts);
    await m.beat();
    m.joinedAt = (await opts.bucket.kv.get(opts.self.id))?.created.getTime() ?? Date.now();
    m.mirror = await KvMirror.start(opts.bucket.kv, (key, entry) => m.observe(key, entry), opts.drops);
    await m.mirror.ready;
    m.timer = setInterval(() => m.tick(), opts.heartbeatMs);
    return m;
  }

  get self(): MemberInfo {
    return this.current;
  }

  alive(): ReadonlyMap<string, MemberInfo> {
    const out = new Map<string, MemberInfo>();
    for (const [id, s] of this.seen) out.set(id, s.info);
    return out;
  }

  isAlive(id: string, incarnation: string): boolean {
    return this.seen.get(id)?.info.incarnation === incarnation;
  }

  leaseValid(): boolean {
    return !this.stopped && performance.now() - this.lastBeatSent < this.leaseMs;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  onLeaseLapse(listener: () => void): void {
    this.lapseListeners.push(listener);
  }

  async setStatus(status: MemberStatus): Promise<void> {
    this.current = { ...this.current, status };
    await this.beat();
  }

  /** A signed last word first (a bare delete proves nothing, so peers wait for a timeout on one), then the key goes. */
  async leave(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.mirror?.stop();
    await this.write(true).catch(() => undefined);
    await this.opts.bucket.kv.delete(this.current.id).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const sentAt = performance.now();
    if (sentAt - this.lastBeatSent >= this.leaseMs && this.lastBeatSent > 0) for (const l of this.lapseListeners) l();
    await this.write(false);
    this.lastBeatSent = Math.max(this.lastBeatSent, sentAt);
  }

  private write(left: boolean): Promise<number> {
    const entry: MemberEntry = { info: this.current, seq: ++this.seq, left };
    return this.opts.bucket.kv.put(this.current.id, this.opts.codec.encode(entry));
  }

  private tick(): void {
    if (this.stopped) return;
    this.beat().catch((err) => this.opts.log.warn({ err: String(err) }, 'heartbeat failed'));
    this.expire();
  }

  /**
   * A bare delete is not news: anyone who can write the bucket can delete a key, and a member that really left said
   * so in a signed entry first. A live member whose key was deleted keeps its place until its heartbeats stop.
   */
  private observe(key: string, kvEntry: KvEntry | undefined): void {
    if (!kvEntry) return;
    const prev = this.seen.get(key);
    if (!prev && key !== this.current.id && this.joinedAt - kvEntry.created.getTime() > this.opts.suspectMs) {
      this.opts.bucket.remove(key, kvEntry.revision).catch(() => undefined);
      return;
    }
    const decoded = this.opts.codec.decode(key, kvEntry.value);
    if ('problem' in decoded) return this.drop(decoded.kind, key, decoded.problem);
    const { info, seq, left } = decoded.entry;
    if (!this.fresh(info, seq))
      return this.drop('member_replay', key, `heartbeat ${seq} of ${info.incarnation} is old`);
    if (left) {
      if (prev?.info.incarnation === info.incarnation) this.forget(key);
      return;
    }
    this.seen.set(key, { info, revision: kvEntry.revision, at: performance.now() });
    if (!prev || prev.info.incarnation !== info.incarnation || prev.info.status !== info.status) this.changed();
  }

  /** Whether this is the newest heartbeat of its incarnation seen so far; remembers it if so. */
  private fresh(info: MemberInfo, seq: number): boolean {
    const id = `${info.id}/${info.incarnation}`;
    const last = this.lastSeq.get(id);
    if (last !== undefined && seq <= last) return false;
    this.lastSeq.delete(id);
    this.lastSeq.set(id, seq);
    if (this.lastSeq.size > REMEMBERED_INCARNATIONS) this.lastSeq.delete(this.lastSeq.keys().next().value!);
    return true;
  }

  private drop(kind: string, key: string, problem: string): void {
    this.opts.drops.drop(kind, 'the members bucket', { key, problem });
  }

  /** Members whose heartbeats stopped are dropped here, and their keys removed (only if unchanged since). */
  private expire(): void {
    const now = performance.now();
    for (const [id, s] of this.seen) {
      if (id === this.current.id || now - s.at <= this.opts.suspectMs) continue;
      this.opts.log.warn({ member: id, silentMs: Math.round(now - s.at) }, 'member declared dead');
      this.forget(id);
      this.opts.bucket.remove(id, s.revision).catch(() => undefined);
    }
  }

  private forget(id: string): void {
    this.seen.delete(id);
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
