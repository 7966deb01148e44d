import type { KvEntry } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { CasBucket } from '../transport/cas-bucket.ts';
import { KvMirror } from '../transport/kv-mirror.ts';
import type { MemberInfo, MemberStatus, Membership } from './member.ts';

export interface NatsMembershipOptions {
  readonly bucket: CasBucket;
  readonly self: MemberInfo;
  readonly log: Logger;
  /** How often this node writes its heartbeat. */
  readonly heartbeatMs: number;
  /** A member whose heartbeat has not been seen for this long is dead. */
  readonly suspectMs: number;
}

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
    m.mirror = await KvMirror.start(opts.bucket.kv, (key, entry) => m.observe(key, entry));
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

  async leave(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.mirror?.stop();
    await this.opts.bucket.kv.delete(this.current.id).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const sentAt = performance.now();
    if (sentAt - this.lastBeatSent >= this.leaseMs && this.lastBeatSent > 0) for (const l of this.lapseListeners) l();
    await this.opts.bucket.kv.put(this.current.id, JSON.stringify(this.current));
    this.lastBeatSent = Math.max(this.lastBeatSent, sentAt);
  }

  private tick(): void {
    if (this.stopped) return;
    this.beat().catch((err) => this.opts.log.warn({ err: String(err) }, 'heartbeat failed'));
    this.expire();
  }

  private observe(key: string, entry: KvEntry | undefined): void {
    const prev = this.seen.get(key);
    if (!entry) {
      if (prev) this.forget(key);
      return;
    }
    if (!prev && key !== this.current.id && this.joinedAt - entry.created.getTime() > this.opts.suspectMs) {
      this.opts.bucket.remove(key, entry.revision).catch(() => undefined);
      return;
    }
    const info = entry.json<MemberInfo>();
    this.seen.set(key, { info, revision: entry.revision, at: performance.now() });
    if (!prev || prev.info.incarnation !== info.incarnation || prev.info.status !== info.status) this.changed();
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
