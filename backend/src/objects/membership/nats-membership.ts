import { setTimeout as sleep } from 'node:timers/promises';
import type { KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { DropReporter } from '../drop-reporter.ts';
import type { MemberChange, RuntimeMetrics } from '../metrics.ts';
import type { CasBucket } from '../transport/cas-bucket.ts';
import { KvMirror } from '../transport/kv-mirror.ts';
import { absoluteNow, BOARD } from './beat-loop.ts';
import { type BeatConnection, type BeatSource, startBeats } from './beat-thread.ts';
import { Heartbeats } from './heartbeats.ts';
import type { MemberInfo, MemberStatus, Membership } from './member.ts';
import type { MemberEntry, MemberEntryCodec } from './member-entry.ts';
import { ReplayGuard } from './replay-guard.ts';

export interface NatsMembershipOptions {
  readonly bucket: CasBucket;
  /** Heartbeats go over core NATS on this connection. */
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly self: MemberInfo;
  readonly log: Logger;
  readonly metrics: RuntimeMetrics;
  /** How often this node publishes its heartbeat. */
  readonly heartbeatMs: number;
  /** A member silent this long is suspected: logged and counted, nothing else. */
  readonly suspectMs: number;
  /** A member silent this long is dead: its shards move. */
  readonly deadMs: number;
  /** How often this node rewrites its members-bucket entry (it is rewritten at once when it changes or goes). */
  readonly registryMs: number;
  /** Signs this node's entries and heartbeats and checks everyone else's. */
  readonly codec: MemberEntryCodec;
  /** The key `codec` signs with, for a heartbeat thread's own codec. */
  readonly key: Uint8Array | undefined;
  /**
   * Where heartbeats connect from a thread of their own, so they flow while this node's event loop is busy; absent,
   * they go from the main thread on `nc`.
   */
  readonly beatConnection: BeatConnection | undefined;
  /** With a heartbeat thread: it stops beating once the main thread has not run for this long (a hung node dies). */
  readonly stallMs: number;
  /** Entries and heartbeats that are malformed, unsigned or replayed are dropped and reported here. */
  readonly drops: DropReporter;
}

/** How long a node waits for its first heartbeat to come back from NATS before it gives up joining. */
const FIRST_ECHO_TIMEOUT_MS = 10_000;
/** Incarnations declared dead, remembered so that one coming back is logged as such. */
const REMEMBERED_DEAD = 256;

interface Seen {
  info: MemberInfo;
  revision: number;
  /** Local monotonic time its last heartbeat (or, before the first, its entry) arrived. */
  at: number;
  /** Whether a heartbeat of this incarnation arrived: only then is it alive (a leftover entry never beats). */
  confirmed: boolean;
  /** Local time it was first suspected in the current silence. */
  suspectedAt?: number;
}

/**
 * Membership in two channels. The members bucket (JetStream KV) is the registry: a node's signed entry says who it is
 * and its status, newcomers discover the cluster from it, and a node leaving says so there, durably. Liveness is
 * carried by signed heartbeats over core NATS (Heartbeats), which never queue behind JetStream writes. A member
 * silent for suspectMs is suspected (logged, no action); silent for deadMs it is declared dead. Silence is measured
 * against this node's own heartbeats coming back, so a node that was itself paused or cut off judges nobody.
 * A node's lease (its right to act as an owner) lapses deadMs − 2 × heartbeatMs after the newest of its own
 * heartbeats that came back was sent: strictly before any peer that saw that heartbeat can declare it dead.
 * Given a connection for them, heartbeats go from a thread of their own: a node whose event loop is busy (GC, a
 * starved core, a socket backed up with calls) keeps beating and keeps its shards, while one whose main thread has
 * not run for stallMs stops beating and is declared dead deadMs later, like a killed one.
 */
export class NatsMembership implements Membership {
  private current: MemberInfo;
  private readonly seen = new Map<string, Seen>();
  private readonly registryGuard = new ReplayGuard();
  /** `id/incarnation` → when it was declared dead and what it was, so one that beats again can come back. */
  private readonly dead = new Map<string, { at: number; seen: Seen }>();
  private seq = 0;
  private readonly listeners: (() => void)[] = [];
  private readonly lapseListeners: (() => void)[] = [];
  private readonly beats: Heartbeats;
  /** When the membership tick last ran, to notice (and log) this node's own event-loop stalls. */
  private lastTick = performance.now();
  private mirror: KvMirror | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly leaseMs: number;
  private lapsed = false;
  private stopped = false;

  private constructor(
    private readonly opts: NatsMembershipOptions,
    private readonly source: BeatSource,
  ) {
    this.current = opts.self;
    this.leaseMs = opts.deadMs - 2 * opts.heartbeatMs;
    this.beats = new Heartbeats({
      nc: opts.nc,
      cluster: opts.cluster,
      self: () => this.current,
      codec: opts.codec,
      drops: opts.drops,
      board: source.board,
      onBeat: (entry, at) => this.onBeat(entry, at),
    });
  }

  static async join(opts: NatsMembershipOptions): Promise<NatsMembership> {
    checkTimings(opts);
    const m = new NatsMembership(opts, await beatsFor(opts));
    await opts.nc.flush(); // our heartbeat subscription is live before the beats are looked for
    m.seen.set(opts.self.id, { info: opts.self, revision: 0, at: performance.now(), confirmed: true });
    await m.register();
    await m.firstEcho();
    m.mirror = await KvMirror.start(opts.bucket.kv, (key, entry) => m.observe(key, entry), opts.drops);
    await m.mirror.ready;
    m.timers = [setInterval(() => m.tick(), opts.heartbeatMs), setInterval(() => m.refresh(), opts.registryMs)];
    await m.confirmRegistry();
    return m;
  }

  get self(): MemberInfo {
    return this.current;
  }

  alive(): ReadonlyMap<string, MemberInfo> {
    const out = new Map<string, MemberInfo>();
    for (const [id, s] of this.seen) if (s.confirmed) out.set(id, s.info);
    return out;
  }

  isAlive(id: string, incarnation: string): boolean {
    const s = this.seen.get(id);
    return s?.confirmed === true && s.info.incarnation === incarnation;
  }

  leaseValid(): boolean {
    return !this.stopped && performance.now() - this.beats.echoSentAt < this.leaseMs;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  onLeaseLapse(listener: () => void): void {
    this.lapseListeners.push(listener);
  }

  async setStatus(status: MemberStatus): Promise<void> {
    this.current = { ...this.current, status };
    this.seen.set(this.current.id, { ...this.seen.get(this.current.id)!, info: this.current });
    this.source.update(this.current);
    await this.register();
    this.changed();
  }

  /** A signed last word first (a bare delete proves nothing, so peers wait for a timeout on one), then the key goes. */
  async leave(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.mirror?.stop();
    this.beats.stop();
    await this.source.stop();
    await this.write(true).catch(() => undefined);
    await this.opts.bucket.kv.delete(this.current.id).catch(() => undefined);
  }

  private async firstEcho(): Promise<void> {
    const timeout = sleep(FIRST_ECHO_TIMEOUT_MS, 'timeout' as const, { ref: false });
    if ((await Promise.race([this.beats.firstEcho(), timeout])) === 'timeout') {
      this.beats.stop();
      await this.source.stop();
      throw new Error(`no heartbeat of this node came back from NATS in ${FIRST_ECHO_TIMEOUT_MS / 1000} s`);
    }
  }

  /**
   * Waits until every member the bucket listed has sent a heartbeat or been found a leftover (silent for deadMs):
   * acting on a half-confirmed view would treat live owners as dead. Bounded: if our own heartbeats stop coming
   * back meanwhile nothing expires, and what is unconfirmed then simply is not alive.
   */
  private async confirmRegistry(): Promise<void> {
    const until = performance.now() + 2 * this.opts.deadMs;
    while ([...this.seen.values()].some((s) => !s.confirmed) && performance.now() < until)
      await sleep(this.opts.heartbeatMs);
  }

  private register(): Promise<void> {
    return this.write(false).then(() => undefined);
  }

  /** A member without the key (a caller-only tool) is not listed: hosts would only drop its unsigned entry. */
  private write(left: boolean): Promise<number> {
    if (!this.opts.codec.verifies) return Promise.resolve(0);
    const entry: MemberEntry = { info: this.current, seq: ++this.seq, left };
    return this.opts.bucket.kv.put(this.current.id, this.opts.codec.encode(entry));
  }

  private refresh(): void {
    if (this.stopped) return;
    this.register().catch((err) => this.opts.log.warn({ err: String(err) }, 'members entry refresh failed'));
  }

  private tick(): void {
    if (this.stopped) return;
    this.noteStall();
    this.source.board[BOARD.progress] = absoluteNow();
    this.checkLease();
    this.expire();
  }

  /** A tick this late means the event loop did not run: logged with whether the heartbeat thread paused for it. */
  private noteStall(): void {
    const now = performance.now();
    const gapMs = now - this.lastTick;
    this.lastTick = now;
    if (gapMs < this.opts.suspectMs) return;
    const pausedAt = this.source.board[BOARD.pausedAt]!;
    this.opts.log.warn(
      { stalledMs: Math.round(gapMs), beatsPausedMs: pausedAt ? Math.round(absoluteNow() - pausedAt) : 0 },
      'event loop stalled: this node did not run for a while',
    );
  }

  private checkLease(): void {
    const sinceBeatMs = performance.now() - this.beats.echoSentAt;
    if (sinceBeatMs < this.leaseMs) {
      if (this.lapsed) this.opts.log.info({ sinceBeatMs: Math.round(sinceBeatMs) }, 'lease renewed');
      this.lapsed = false;
      return;
    }
    if (this.lapsed) return;
    this.lapsed = true;
    this.opts.log.warn(
      { sinceBeatMs: Math.round(sinceBeatMs), leaseMs: this.leaseMs },
      'lease lapsed: no heartbeat of ours came back in time; revalidating shard ownership',
    );
    for (const l of this.lapseListeners) l();
  }

  /**
   * A bare delete is not news: anyone who can write the bucket can delete a key, and a member that really left said
   * so in a signed entry first. A live member whose key was deleted keeps its place until its heartbeats stop; our own
   * key, deleted (a peer declared us dead, or someone removed it), is written again so newcomers find us.
   */
  private observe(key: string, kvEntry: KvEntry | undefined): void {
    if (!kvEntry) {
      if (key === this.current.id) this.refresh();
      return;
    }
    const decoded = this.opts.codec.decode(key, kvEntry.value);
    if ('problem' in decoded) return this.drop(decoded.kind, key, decoded.problem);
    const { info, seq, left } = decoded.entry;
    if (!this.registryGuard.fresh(info.id, info.incarnation, seq))
      return this.drop('member_replay', key, `entry ${seq} of ${info.incarnation} is old`);
    if (key === this.current.id) return;
    const prev = this.seen.get(key);
    if (left) return this.left(prev, info);
    if (prev?.info.incarnation === info.incarnation) {
      prev.revision = kvEntry.revision;
      if (prev.info.status !== info.status) this.statusChanged(prev, info);
      return;
    }
    if (prev?.confirmed) this.note('restarted', 'info', prev.info, { newIncarnation: info.incarnation });
    this.seen.set(key, { info, revision: kvEntry.revision, at: performance.now(), confirmed: false });
    if (prev?.confirmed) this.changed();
  }

  private left(prev: Seen | undefined, info: MemberInfo): void {
    if (prev?.info.incarnation !== info.incarnation) return;
    this.seen.delete(info.id);
    this.note('left', 'info', info, { reason: 'its signed last word' });
    if (prev.confirmed) this.changed();
  }

  private statusChanged(prev: Seen, info: MemberInfo): void {
    this.note('status', 'info', info, { from: prev.info.status, to: info.status });
    prev.info = info;
    if (prev.confirmed) this.changed();
  }

  /**
   * A heartbeat of a member the bucket told us about, or of one we declared dead (its key may be gone until it writes
   * it again). Heartbeats of others (not yet listed, or gone) wait for the bucket.
   */
  private onBeat(entry: MemberEntry, at: number): void {
    const s = this.seen.get(entry.info.id) ?? this.revive(entry.info);
    if (!s || s.info.incarnation !== entry.info.incarnation) return;
    const silentMs = at - s.at;
    s.at = at;
    if (!s.confirmed) return this.confirm(s);
    this.opts.metrics.heartbeatGap(silentMs);
    if (s.suspectedAt === undefined) return;
    s.suspectedAt = undefined;
    this.note('recovered', 'info', s.info, { reason: 'heartbeat arrived', silentMs: Math.round(silentMs) });
  }

  private revive(info: MemberInfo): Seen | undefined {
    const dead = this.dead.get(`${info.id}/${info.incarnation}`);
    if (!dead) return undefined;
    const s: Seen = { ...dead.seen, confirmed: false };
    this.seen.set(info.id, s);
    return s;
  }

  private confirm(s: Seen): void {
    s.confirmed = true;
    s.suspectedAt = undefined;
    const key = `${s.info.id}/${s.info.incarnation}`;
    const dead = this.dead.get(key);
    if (dead !== undefined) {
      this.dead.delete(key);
      this.note('came_back', 'warn', s.info, {
        reason: 'heartbeats again after it was declared dead',
        deadForMs: Math.round(performance.now() - dead.at),
      });
    } else this.note('joined', 'info', s.info, { status: s.info.status, role: s.info.role });
    this.changed();
  }

  private drop(kind: string, key: string, problem: string): void {
    this.opts.drops.drop(kind, 'the members bucket', { key, problem });
  }

  /**
   * Suspects and declares dead by silence measured up to the time our own newest heartbeat came back: messages that
   * arrived through the same subscription. Entries that never beat are leftovers of dead nodes; their keys go.
   */
  private expire(): void {
    const reference = this.beats.echoAt;
    for (const [id, s] of this.seen) {
      if (id === this.current.id) continue;
      const silentMs = reference - s.at;
      if (silentMs > this.opts.deadMs) this.declareDead(s, Math.round(silentMs));
      else if (silentMs > this.opts.suspectMs && s.confirmed && s.suspectedAt === undefined) {
        s.suspectedAt = performance.now();
        this.note('suspected', 'warn', s.info, { reason: 'no heartbeat', silentMs: Math.round(silentMs) });
      }
    }
  }

  private declareDead(s: Seen, silentMs: number): void {
    const { info } = s;
    this.seen.delete(info.id);
    this.opts.bucket.remove(info.id, s.revision).catch(() => undefined);
    if (!s.confirmed) return this.note('leftover', 'info', info, { reason: 'listed but never beat', silentMs });
    const suspectedForMs = s.suspectedAt === undefined ? 0 : Math.round(performance.now() - s.suspectedAt);
    this.note('dead', 'warn', info, { reason: 'no heartbeat', silentMs, suspectedForMs });
    this.dead.set(`${info.id}/${info.incarnation}`, { at: performance.now(), seen: s });
    if (this.dead.size > REMEMBERED_DEAD) this.dead.delete(this.dead.keys().next().value!);
    this.changed();
  }

  /** One structured line and one count per membership change, with the member, its incarnation and the why. */
  private note(change: MemberChange, level: 'info' | 'warn', info: MemberInfo, fields: Record<string, unknown>): void {
    this.opts.metrics.memberChange(change);
    this.opts.log[level](
      { membership: change, member: info.id, incarnation: info.incarnation, ...fields },
      `member ${info.id} ${CHANGE_TEXT[change]}`,
    );
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

function beatsFor(opts: NatsMembershipOptions): Promise<BeatSource> {
  return startBeats({
    ...opts,
    connection: opts.beatConnection,
    info: opts.self,
    onThreadFailed: (why) =>
      opts.log.error({ why }, 'the heartbeat thread failed; heartbeats go on from the main thread'),
  });
}

function checkTimings(opts: NatsMembershipOptions): void {
  if (opts.suspectMs <= 2 * opts.heartbeatMs) throw new Error('suspectMs must exceed 2 × heartbeatMs');
  if (opts.deadMs < opts.suspectMs) throw new Error('deadMs must be at least suspectMs');
  if (opts.deadMs - 2 * opts.heartbeatMs <= opts.heartbeatMs) throw new Error('deadMs must exceed 3 × heartbeatMs');
  if (opts.stallMs <= opts.heartbeatMs) throw new Error('stallMs must exceed heartbeatMs');
}

const CHANGE_TEXT: Record<MemberChange, string> = {
  joined: 'joined',
  status: 'changed status',
  left: 'left',
  restarted: 'restarted',
  suspected: 'suspected',
  recovered: 'no longer suspected',
  dead: 'declared dead',
  came_back: 'came back',
  leftover: 'was a leftover entry, removed',
};
