import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { clusterPrefix } from '@resident/shared/nats';
import type { DropReporter } from '../drop-reporter.ts';
import type { MemberInfo } from './member.ts';
import type { MemberEntry, MemberEntryCodec } from './member-entry.ts';
import { ReplayGuard } from './replay-guard.ts';

/** Each member publishes its signed heartbeat here; every member subscribes to all of them. */
export const beatSubject = (cluster: string, node: string): string => `${clusterPrefix(cluster)}.beat.${node}`;

/** Own heartbeats sent and not yet seen coming back; more than this means the way back is broken. */
const MAX_IN_FLIGHT = 64;

export interface HeartbeatsOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly self: () => MemberInfo;
  readonly codec: MemberEntryCodec;
  readonly drops: DropReporter;
  /** A fresh, signed heartbeat of another member arrived (local monotonic time `at`). */
  readonly onBeat: (entry: MemberEntry, at: number) => void;
}

/**
 * Heartbeats over core NATS: a signed entry per beat, published without JetStream, so they never wait behind state
 * writes. Each node also receives its own beats: the send time of the newest one that came back is what its lease is
 * measured from (a beat that never left the connection proves nothing), and the time it came back is this node's
 * reference for judging others' silence (a node that was itself paused or cut off sees everyone as silent).
 */
export class Heartbeats {
  private readonly guard = new ReplayGuard();
  private readonly inFlight = new Map<number, number>();
  private readonly sub: Subscription;
  /** Send time of the newest own heartbeat that came back. */
  echoSentAt = Number.NEGATIVE_INFINITY;
  /** Local time the newest own heartbeat came back. */
  echoAt = Number.NEGATIVE_INFINITY;
  private echoed: (() => void)[] = [];

  constructor(private readonly opts: HeartbeatsOptions) {
    this.sub = opts.nc.subscribe(beatSubject(opts.cluster, '*'), {
      callback: (err, msg) => {
        if (!err) this.receive(msg.subject, msg.data);
      },
    });
  }

  send(seq: number): void {
    const info = this.opts.self();
    this.inFlight.set(seq, performance.now());
    if (this.inFlight.size > MAX_IN_FLIGHT) this.inFlight.delete(this.inFlight.keys().next().value!);
    this.opts.nc.publish(beatSubject(this.opts.cluster, info.id), this.opts.codec.encode({ info, seq, left: false }));
  }

  /** Resolves once one of this node's own heartbeats came back from the server. */
  firstEcho(): Promise<void> {
    if (this.echoAt > Number.NEGATIVE_INFINITY) return Promise.resolve();
    return new Promise((resolve) => this.echoed.push(resolve));
  }

  stop(): void {
    this.sub.unsubscribe();
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
    if (entry.info.incarnation === self.incarnation) this.echo(entry.seq, now);
  }

  private echo(seq: number, now: number): void {
    const sentAt = this.inFlight.get(seq);
    if (sentAt === undefined) return;
    for (const s of this.inFlight.keys()) if (s <= seq) this.inFlight.delete(s);
    this.echoSentAt = Math.max(this.echoSentAt, sentAt);
    this.echoAt = now;
    for (const resolve of this.echoed.splice(0)) resolve();
  }

  private drop(kind: string, subject: string, problem: string): void {
    this.opts.drops.drop(kind, 'the heartbeat subjects', { subject, problem });
  }
}
