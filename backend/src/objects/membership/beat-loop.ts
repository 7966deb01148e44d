import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { clusterPrefix } from '@resident/shared/nats';
import type { MemberInfo } from './member.ts';
import type { MemberEntryCodec } from './member-entry.ts';

/** Each member publishes its signed heartbeat here; every member subscribes to all of them. */
export const beatSubject = (cluster: string, node: string): string => `${clusterPrefix(cluster)}.beat.${node}`;

/**
 * Where a member without the membership key (a caller-only tool) sends its heartbeats: only to itself, as the
 * reference its own judging needs. Unsigned, they would only be dropped by every host.
 */
export const echoSubject = (cluster: string, node: string): string => `${clusterPrefix(cluster)}.echo.${node}`;

/** The subject this member's own heartbeats go to. */
export function ownBeatSubject(cluster: string, node: string, codec: MemberEntryCodec): string {
  return codec.verifies ? beatSubject(cluster, node) : echoSubject(cluster, node);
}

/** Own heartbeats sent and not yet seen coming back; more than this means the way back is broken. */
const MAX_IN_FLIGHT = 64;

/**
 * Slots of the board the beat loop and the node's main thread share (a SharedArrayBuffer when the loop has a thread
 * of its own). Times are wall-clock-free absolute milliseconds: `performance.timeOrigin + performance.now()`, which
 * both threads read alike.
 */
export const BOARD = {
  /** When the newest own heartbeat that came back was sent: the node's lease is measured from it. */
  echoSentAt: 0,
  /** When the main thread last ran its membership tick: the loop stops beating if this gets older than stallMs. */
  progress: 1,
  /** When the loop stopped beating because the main thread stalled; 0 while it beats. */
  pausedAt: 2,
  /** The last heartbeat count used: a loop that takes over (the thread failed) goes on from it, never replays. */
  seq: 3,
} as const;

export const absoluteNow = (): number => performance.timeOrigin + performance.now();

export function newBoard(shared: boolean): Float64Array {
  const size = 4 * Float64Array.BYTES_PER_ELEMENT;
  const board = new Float64Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
  board[BOARD.progress] = absoluteNow();
  return board;
}

export interface BeatLoopOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly codec: MemberEntryCodec;
  readonly info: MemberInfo;
  readonly heartbeatMs: number;
  readonly board: Float64Array;
  /** Beat only while the main thread ran its tick within this long; undefined: the loop is on the main thread. */
  readonly stallMs?: number | undefined;
}

/**
 * Publishes this node's signed heartbeat every heartbeatMs over core NATS and watches for it to come back: the send
 * time of the newest one that did goes on the board, for the lease (a beat that never left the connection proves
 * nothing). Run on a thread and connection of its own, it keeps beating while the main thread is busy, so a live
 * node under load is not declared dead; it stops once the main thread has not run for stallMs, so a hung node is.
 */
export class BeatLoop {
  private readonly inFlight = new Map<number, number>();
  private info: MemberInfo;
  private sub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: BeatLoopOptions) {
    this.info = opts.info;
  }

  start(): void {
    const { nc, cluster } = this.opts;
    this.sub = nc.subscribe(ownBeatSubject(cluster, this.info.id, this.opts.codec), {
      callback: (err, msg) => {
        if (!err) this.receive(msg.data);
      },
    });
    this.beat();
    this.schedule();
  }

  /** The node's status changed: say so in a heartbeat now. */
  update(info: MemberInfo): void {
    this.info = info;
    this.beat();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sub?.unsubscribe();
  }

  /**
   * The next beat falls on a multiple of heartbeatMs of the wall clock, the same instants on every member: the N beats
   * of a cluster then reach each member together, read in one wake-up rather than N spread over the period (at 30
   * members on one box that spread cost each node more CPU than its beats' decoding). Clocks that disagree only
   * spread them again; nothing depends on the phase.
   */
  private schedule(): void {
    const period = this.opts.heartbeatMs;
    this.timer = setTimeout(
      () => {
        if (this.timer === undefined) return;
        this.beat();
        this.schedule();
      },
      period - (Date.now() % period),
    );
  }

  private beat(): void {
    const { board, stallMs } = this.opts;
    const now = absoluteNow();
    if (stallMs !== undefined && now - board[BOARD.progress]! > stallMs) {
      board[BOARD.pausedAt] ||= now;
      return;
    }
    board[BOARD.pausedAt] = 0;
    const seq = ++board[BOARD.seq]!;
    this.inFlight.set(seq, now);
    if (this.inFlight.size > MAX_IN_FLIGHT) this.inFlight.delete(this.inFlight.keys().next().value!);
    const data = this.opts.codec.encode({ info: this.info, seq, left: false });
    this.opts.nc.publish(ownBeatSubject(this.opts.cluster, this.info.id, this.opts.codec), data);
  }

  /** Only a beat of ours that is still in flight counts: a copy replayed later is not in the map any more. */
  private receive(data: Uint8Array): void {
    const decoded = this.opts.codec.decode(this.info.id, data);
    if ('problem' in decoded || decoded.entry.info.incarnation !== this.info.incarnation) return;
    const sentAt = this.inFlight.get(decoded.entry.seq);
    if (sentAt === undefined) return;
    for (const s of this.inFlight.keys()) if (s <= decoded.entry.seq) this.inFlight.delete(s);
    const board = this.opts.board;
    board[BOARD.echoSentAt] = Math.max(board[BOARD.echoSentAt]!, sentAt);
  }
}
