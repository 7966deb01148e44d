import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { DropReporter } from '../drop-reporter.ts';
import { BOARD, beatSubject, echoSubject } from './beat-loop.ts';
import type { MemberInfo } from './member.ts';
import type { MemberEntry, MemberEntryCodec } from './member-entry.ts';
import { ReplayGuard } from './replay-guard.ts';

export interface HeartbeatsOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly self: () => MemberInfo;
  readonly codec: MemberEntryCodec;
  readonly drops: DropReporter;
  /** Where the beat loop (on this thread or its own) posts when the newest own heartbeat that came back was sent. */
  readonly board: Float64Array;
  /** A fresh, signed heartbeat of another member arrived (local monotonic time `at`). */
  readonly onBeat: (entry: MemberEntry, at: number) => void;
}

/**
 * The receiving side of the heartbeats over core NATS (a BeatLoop sends this node's own): signed entries, published
 * without JetStream, so they never wait behind state writes. The time one of this node's own beats last arrived
 * through this same subscription is its reference for judging others' silence (a node that was itself paused or cut
 * off sees everyone as silent); its lease is measured from the send time the beat loop posts on the board.
 */
export class Heartbeats {
  private readonly guard = new ReplayGuard();
  private readonly subs: Subscription[];
  /** Local time the newest own heartbeat arrived here. */
  echoAt = Number.NEGATIVE_INFINITY;
  private echoed: (() => void)[] = [];

  constructor(private readonly opts: HeartbeatsOptions) {
    // Without the key, own beats come back on an echo subject of their own (see ownBeatSubject).
    const echo = opts.codec.verifies ? [] : [echoSubject(opts.cluster, opts.self().id)];
    const subjects = [beatSubject(opts.cluster, '*'), ...echo];
    this.subs = subjects.map((subject) =>
      opts.nc.subscribe(subject, {
        callback: (err, msg) => {
          if (!err) this.receive(msg.subject, msg.data);
        },
      }),
    );
  }

  /** Local time at which the newest own heartbeat that came back was sent (−∞ before the first). */
  get echoSentAt(): number {
    const at = this.opts.board[BOARD.echoSentAt]!;
    return at === 0 ? Number.NEGATIVE_INFINITY : at - performance.timeOrigin;
  }

  /** Resolves once one of this node's own heartbeats came back from the server. */
  firstEcho(): Promise<void> {
    if (this.echoAt > Number.NEGATIVE_INFINITY) return Promise.resolve();
    return new Promise((resolve) => this.echoed.push(resolve));
  }

  stop(): void {
    for (const sub of this.subs) sub.unsubscribe();
  }

  private receive(subject: string, data: Uint8Array): void {
    const now = performance.now();
    const id = subject.slice(subject.lastIndexOf('.') + 1);
    const decoded = this.opts.codec.decode(id, data);
    if ('problem' in decoded) return this.drop(decoded.kind, subject, decoded.problem);
    const { entry } = decoded;
    if (!this.guard.fresh(entry.info.id, entry.info.incarnation, entry.seq))
      return this.drop('member_replay', subject, `heartbeat ${entry.seq} of ${entry.info.incarnation} is old`);
    const self = this.opts.self();
    if (entry.info.id !== self.id) return this.opts.onBeat(entry, now);
    if (entry.info.incarnation !== self.incarnation) return;
    this.echoAt = now;
    for (const resolve of this.echoed.splice(0)) resolve();
  }

  private drop(kind: string, subject: string, problem: string): void {
    this.opts.drops.drop(kind, 'the heartbeat subjects', { subject, problem });
  }
}
