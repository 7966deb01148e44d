import { randomBytes } from 'node:crypto';
import { ErrorCode, ResidentError, toResidentError } from '../errors.ts';
import { CallSeqs } from '../messaging/call-seqs.ts';
import { CallTracker, timeoutError } from '../messaging/call-tracker.ts';
import type { CallFrame, ReplyFrame } from '../messaging/envelope.ts';
import { OutgoingCall } from '../messaging/outgoing-call.ts';
import { copyValue, tooLarge, unpackValue } from '../messaging/payload.ts';
import { callKey, REMEMBER_SLACK_MS } from '../messaging/recent-calls.ts';
import { LocalTurn, type LocalTurnHost } from '../messaging/turns.ts';
import type { RuntimeMetrics } from '../metrics.ts';
import { shardOf } from '../placement/hash.ts';
import type { Placement } from '../placement/placement.ts';
import type { Invoker } from '../refs.ts';
import { type ClassEntry, checkMethod, objectId } from '../registry.ts';
import type { Transport } from '../transport/transport.ts';
import type { Chains } from './chains.ts';
import type { Dispatcher } from './dispatch.ts';

const RESEND_BACKOFF_MS = [1, 2, 5, 10, 20, 50, 100];

export interface OutboundOptions {
  readonly nodeId: string;
  readonly shards: number;
  readonly maxPayloadBytes: number;
}

/**
 * Calls from this node: each goes to the owner of its object's shard, on this node or another, and is resent (with
 * backoff, within its deadline) while the owner is unknown, answers that the call did not run there, or dies with
 * the call in flight. Every attempt carries the same call id, and owners run a call id at most once, so a resend
 * whose predecessor did run gets that run's reply. Every frame also acknowledges the calls this node has settled
 * (`CallSeqs`), so owners forget their ids instead of remembering them until the deadline.
 */
export class Outbound implements Invoker, LocalTurnHost {
  private readonly tracker = new CallTracker(20);
  private stopped = false;
  /** Random per start, never 0: a restarted node's call ids never match the ones owners remember from before. */
  private readonly epoch = randomBytes(4).readUInt32BE() || 1;
  private readonly seqs = new CallSeqs(REMEMBER_SLACK_MS);

  constructor(
    private readonly placement: Placement,
    private readonly transport: Transport,
    private readonly dispatcher: Dispatcher,
    private readonly chains: Chains,
    private readonly metrics: RuntimeMetrics,
    private readonly opts: OutboundOptions,
  ) {}

  invoke(
    entry: ClassEntry,
    key: string,
    method: string,
    args: unknown[],
    chain: string | undefined,
    timeoutMs: number,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.stopped) throw new ResidentError(ErrorCode.Stopped, `node ${this.opts.nodeId} is stopping`);
      checkMethod(entry, method);
      const id = objectId(entry, key);
      const shard = shardOf(id, this.opts.shards);
      const remoteFirst = this.placement.route(shard) !== this.opts.nodeId;
      const call = new OutgoingCall(
        entry,
        key,
        id,
        this.seqs,
        shard,
        method,
        args,
        chain ?? this.chains.next(),
        timeoutMs,
        Date.now() + timeoutMs,
        resolve,
        reject,
        remoteFirst,
      );
      this.attempt(call);
    });
  }

  private attempt(call: OutgoingCall): void {
    if (call.attempts > 0 && Date.now() > call.deadline) return call.fail(timeoutError(call));
    const node = this.placement.route(call.shard);
    if (node === undefined)
      return this.retryLater(call, new ResidentError(ErrorCode.Unavailable, 'no host node is alive'));
    call.attempts++;
    if (node === this.opts.nodeId) return this.attemptLocal(call);
    if (!this.transport.connected) {
      return call.fail(
        new ResidentError(ErrorCode.Unavailable, `${call.describe()}: not connected to NATS; retry later`),
      );
    }
    const args = call.packedArgs;
    if (args.length > this.opts.maxPayloadBytes)
      return call.fail(tooLarge(call.describe(), args.length, this.opts.maxPayloadBytes));
    call.node = node;
    call.started ||= performance.now();
    // Taken as the call first leaves: above every acknowledgement sent so far, which therefore never covers it.
    call.seq ||= this.seqs.take();
    const frame: CallFrame = {
      id: this.tracker.add(call),
      cls: call.entry.name,
      key: call.key,
      method: call.method,
      args,
      chain: call.chain,
      timeoutMs: Math.max(1, call.deadline - Date.now()),
      callSeq: call.seq,
      callerEpoch: this.epoch,
      settledBelow: this.seqs.settledBelow(),
    };
    this.transport.send(node, { kind: 'call', call: frame });
  }

  private attemptLocal(call: OutgoingCall): void {
    call.node = undefined;
    // A call that never left this node is never resent after it ran here (its only resends follow a NotOwner or a
    // failed commit, which are not remembered), so only one that was sent away needs its id checked: the owner it
    // went to may have stored it before the shard came here. Not remembering the rest keeps local calls cheap.
    const key = call.sentAway ? callKey(this.opts.nodeId, this.epoch, call.seq) : undefined;
    const turn = new LocalTurn(this, call, this.tracker.add(call), call.localArgs, key);
    this.dispatcher.dispatch(call.entry, call.key, turn, call.id, call.shard);
  }

  settleLocal(turn: LocalTurn, err: ResidentError | undefined, result: unknown): void {
    if (!this.tracker.take(turn.trackId)) return; // already timed out
    if (err) return this.settleFailed(turn.call, err);
    this.succeedWith(turn.call, copyValue, result);
  }

  settleLocalPacked(turn: LocalTurn, result: Uint8Array): void {
    if (this.tracker.take(turn.trackId)) this.succeedWith(turn.call, unpackValue, result);
  }

  /** The result as the caller gets it: a copy (or unpacked), never the object's own value. */
  private succeedWith<T>(call: OutgoingCall, copy: (v: T) => unknown, result: T): void {
    let value: unknown;
    try {
      value = copy(result);
    } catch (e) {
      return this.settleFailed(call, toResidentError(e));
    }
    this.metrics.callDone('ok');
    call.succeed(value);
  }

  /** A reply from another node to one of this node's calls. */
  onReply(frame: ReplyFrame): void {
    const call = this.tracker.take(frame.id) as OutgoingCall | undefined;
    if (!call) return; // timed out already, or a reply to a previous incarnation
    if (frame.errorCode) {
      return this.settleFailed(
        call,
        new ResidentError(frame.errorCode as ErrorCode, frame.errorMessage ?? '', call.chain),
      );
    }
    let value: unknown;
    try {
      value = unpackValue(frame.result ?? new Uint8Array());
    } catch (err) {
      return call.fail(toResidentError(err), true);
    }
    this.metrics.callDone('ok', performance.now() - call.started);
    call.succeed(value);
  }

  /**
   * Calls sent to a node that is gone may or may not have run there: each is resent under its own call id, so the
   * object's new owner runs it only if the old one did not store it. Only a deadline too close to resend fails it.
   */
  failGone(alive: ReadonlyMap<string, unknown>): void {
    for (const node of this.tracker.nodes()) {
      if (alive.has(node)) continue;
      for (const call of this.tracker.takeSentTo(node) as OutgoingCall[]) {
        call.resentBecause = `node ${node} died while the call was in flight`;
        this.retryLater(
          call,
          new ResidentError(
            ErrorCode.NodeLost,
            `${call.describe()}: node ${node} died while the call was in flight, too close to its deadline to resend it`,
            call.chain,
          ),
        );
      }
    }
  }

  /** New calls are refused; calls still waiting fail with Stopped. */
  stop(): void {
    this.stopped = true;
    this.tracker.failAll(
      (c) => new ResidentError(ErrorCode.Stopped, `${c.describe()}: node ${this.opts.nodeId} stopped`, c.chain),
    );
    this.tracker.stop();
  }

  private settleFailed(call: OutgoingCall, err: ResidentError): void {
    const backoff = RESEND_BACKOFF_MS[Math.min(call.attempts - 1, RESEND_BACKOFF_MS.length - 1)]!;
    if (call.shouldResend(err, backoff)) {
      setTimeout(() => this.attempt(call), backoff);
      return;
    }
    this.metrics.callDone(err.code);
    call.fail(err, true);
  }

  private retryLater(call: OutgoingCall, err: ResidentError): void {
    const backoff = RESEND_BACKOFF_MS[Math.min(call.attempts, RESEND_BACKOFF_MS.length - 1)]!;
    if (Date.now() + backoff >= call.deadline) return call.fail(err);
    call.attempts++;
    setTimeout(() => this.attempt(call), backoff);
  }
}
