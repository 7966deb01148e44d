import type { Logger } from 'pino';
import { ErrorCode, ResidentError, toResidentError } from '../errors.ts';
import { Mailbox, type TurnRunner } from '../mailbox/mailbox.ts';
import { resentOn } from '../messaging/outgoing-call.ts';
import { packValue } from '../messaging/payload.ts';
import { RecentCalls } from '../messaging/recent-calls.ts';
import type { Refs } from '../ref.ts';
import type { ClassEntry } from '../registry.ts';
import {
  type ActivationContext,
  type AnyResident,
  CONTEXT,
  type ResidentContext,
  systemClock,
  type TimerHandle,
} from '../resident.ts';
import { type Revision, RevisionConflict } from '../storage/state-store.ts';
import type { ActivationHost } from './host.ts';
import { decodeStateRecord, encodeStateRecord } from './state-record.ts';
import type { ObjectTurn } from './turn.ts';

type Status = 'loading' | 'active' | 'closing' | 'closed';

interface Waiting {
  readonly turn: ObjectTurn;
  readonly result: unknown;
}

/**
 * One live object: its instance, its mailbox, and its group commits. Replies to calls that ran on a durable object
 * wait until a commit that includes their effects is stored; every call that completes while a commit is in flight
 * joins the next group, so a busy object writes once per store round trip, not once per call.
 */
export class Activation implements TurnRunner<ObjectTurn>, ActivationContext {
  readonly mailbox: Mailbox<ObjectTurn>;
  status: Status = 'loading';
  lastUsed = Date.now();
  /** Turns delivered while closing; the catalog re-dispatches them once this activation is gone. */
  parked: ObjectTurn[] | undefined;
  private instance: AnyResident | undefined;
  private revision: Revision | undefined;
  /** The state part of what was last stored (the remembered call ids are not compared). */
  private stored: Uint8Array | undefined;
  private dirty = false;
  private committing = false;
  // Allocated on first use: most activations sit idle and should cost as little as possible.
  private waiting: Waiting[] | undefined;
  private timers: Map<number, NodeJS.Timeout> | undefined;
  private recent: RecentCalls | undefined;
  private settledWaiters: (() => void)[] | undefined;
  private refsCache: Refs | undefined;
  private contextCache: ResidentContext | undefined;

  constructor(
    readonly id: string,
    readonly shard: number,
    readonly entry: ClassEntry,
    readonly key: string,
    private readonly host: ActivationHost,
    /** Told once this activation is fully closed, so the catalog forgets it. */
    private readonly onClosed: (activation: Activation) => void,
  ) {
    this.mailbox = new Mailbox(host.mailboxBound, this);
  }

  async activate(): Promise<void> {
    try {
      const state = await this.loadState();
      if (this.status !== 'loading') return; // closed while loading; its queued turns were bounced
      const instance = new this.entry.ctor();
      Object.assign(instance, { key: this.key, state, [CONTEXT]: this });
      this.instance = instance;
      await instance.onActivate?.();
      // Closed during onActivate: close() cleared the timers before onActivate set them, and nothing clears them now
      // (a runtime stopped mid-activation kept its process alive on a PresenceShard's sweep interval).
      if (this.status !== 'loading') return this.clearTimers();
      this.status = 'active';
      this.mailbox.resume();
    } catch (err) {
      this.host.log.warn({ id: this.id, err: String(err) }, 'activation failed');
      this.failQueued(
        new ResidentError(
          ErrorCode.Application,
          `activating ${this.id} failed: ${toResidentError(err).message}`,
          undefined,
          {
            cause: err,
          },
        ),
      );
      this.close('drop');
    }
  }

  private async loadState(): Promise<unknown> {
    if (!this.entry.durable) return this.entry.ctor.initial(this.key);
    const found = await this.host.store.load(this.id);
    if (!found) return this.entry.ctor.initial(this.key);
    const record = decodeStateRecord(found.value);
    this.revision = found.revision;
    this.stored = record.stateBytes;
    if (record.calls !== undefined) {
      const bad = this.calls().restore(record.calls, Date.now());
      if (bad > 0) this.host.log.warn({ id: this.id, bad }, 'stored call ids that are not well-formed were skipped');
    }
    return record.state;
  }

  /** Expired call ids go; an object with none left frees its table (most objects are idle most of the time). */
  sweepCalls(now: number): void {
    if (this.recent?.sweep(now)) this.recent = undefined;
  }

  private calls(): RecentCalls {
    this.recent ??= new RecentCalls();
    return this.recent;
  }

  startTurn(turn: ObjectTurn): void {
    const now = Date.now();
    if (!turn.internal) this.lastUsed = now;
    if (turn.deadline !== 0 && now > turn.deadline) {
      turn.settle(new ResidentError(ErrorCode.Timeout, `${this.id}: call expired before its turn`, turn.chain));
      this.mailbox.done();
      return;
    }
    if (turn.callKey !== undefined && this.calls().intercept(turn, turn.callKey, now)) {
      this.mailbox.done();
      return;
    }
    let out: unknown;
    try {
      out = turn.run(this.instance!);
    } catch (err) {
      this.finish(turn, err, undefined);
      return;
    }
    if (out instanceof Promise)
      out.then(
        (r) => this.finish(turn, undefined, r),
        (e) => this.finish(turn, e, undefined),
      );
    else this.finish(turn, undefined, out);
  }

  private finish(turn: ObjectTurn, err: unknown, result: unknown): void {
    this.host.metrics.turnDone(this.entry.name);
    const error = err === undefined ? undefined : toResidentError(err, turn.chain);
    // A call's error is its remembered outcome, except NotOwner or CommitFailed thrown on from a call it made: its
    // caller resends on those, so the id is forgotten and the resend runs it again (at least once, as nested calls).
    const remembered = turn.callKey !== undefined && !(error && resentOn(error));
    if (remembered) this.recent?.ran(turn.callKey!, error, result);
    if (error !== undefined) this.answer({ turn, result }, remembered ? undefined : error);
    else if (!this.entry.durable) this.answer({ turn, result }, undefined);
    else {
      this.waiting ??= [];
      this.waiting.push({ turn, result });
    }
    this.dirty = this.entry.durable;
    this.mailbox.done();
  }

  /** The turn's outcome is final; `failure`: its effects were not stored, so it did not happen. */
  private answer(w: Waiting, failure: ResidentError | undefined): void {
    if (w.turn.callKey !== undefined && this.recent) return this.recent.settle(w.turn, w.turn.callKey, failure);
    if (failure) w.turn.settle(failure);
    else w.turn.settle(undefined, w.result);
  }

  private answerAll(group: Waiting[], failure: ResidentError | undefined): void {
    for (const w of group) this.answer(w, failure);
  }

  /** No turn is running, so the state is consistent: start a commit unless one is already in flight. */
  quiet(): void {
    if (this.committing || !this.dirty) return this.notifySettled();
    if (this.status === 'closed') return this.failWaiting(this.lostError());
    this.commit();
  }

  private commit(): void {
    const group = this.waiting ?? [];
    this.waiting = undefined;
    this.dirty = false;
    let bytes: Uint8Array;
    try {
      bytes = packValue(this.instance!.state);
    } catch (err) {
      this.host.log.error({ id: this.id, err: String(err) }, 'state is not plain data; dropping activation');
      this.answerAll(group, toResidentError(err));
      void this.close('drop');
      return;
    }
    // Unchanged state is not written: the ids of calls that changed nothing stay in memory only (see ARCHITECTURE.md).
    if (this.stored && Buffer.compare(bytes, this.stored) === 0) return this.answerAll(group, undefined);
    if (!this.host.canCommit(this.shard)) {
      this.host.metrics.commitFailed('fenced');
      this.answerAll(group, this.lostError());
      void this.close('drop');
      return;
    }
    this.committing = true;
    const started = performance.now();
    const record = encodeStateRecord(bytes, this.recent?.stored(Date.now()));
    this.host.store.save(this.id, record, this.revision).then(
      (revision) => {
        this.host.metrics.commitDone(performance.now() - started);
        this.revision = revision;
        this.stored = bytes;
        this.answerAll(group, undefined);
        this.afterCommit();
      },
      (err) => {
        this.host.metrics.commitFailed(err instanceof RevisionConflict ? 'conflict' : 'error');
        this.host.log.warn({ id: this.id, err: String(err) }, 'commit failed; dropping activation');
        this.answerAll(
          group,
          new ResidentError(ErrorCode.CommitFailed, `${this.id}: state was not stored (${String(err)})`),
        );
        this.close('drop');
        this.afterCommit();
      },
    );
  }

  private afterCommit(): void {
    this.committing = false;
    if (this.mailbox.idle || this.status !== 'active') this.quiet();
  }

  private lostError(): ResidentError {
    return new ResidentError(ErrorCode.CommitFailed, `${this.id}: this node no longer owns the object`);
  }

  /** Resolves once no turn runs and every completed turn is stored. */
  private settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    this.settledWaiters ??= [];
    const waiters = this.settledWaiters;
    return new Promise((resolve) => waiters.push(resolve));
  }

  private isSettled(): boolean {
    return this.mailbox.idle && !this.committing && !this.dirty;
  }

  private notifySettled(): void {
    if (!this.isSettled() || !this.settledWaiters) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /**
   * 'graceful': finish running turns, run onDeactivate, store, then go (idle deactivation, handover, drain).
   * 'drop': go now without storing; the state in memory may be ahead of the store and must not be trusted.
   */
  async close(mode: 'graceful' | 'drop'): Promise<void> {
    if (this.status === 'closed' || (this.status === 'closing' && mode === 'graceful')) return;
    const wasActive = this.status === 'active';
    this.status = mode === 'drop' ? 'closed' : 'closing';
    this.mailbox.pause();
    this.host.bounce(this.mailbox.takeQueued());
    this.clearTimers();
    if (mode === 'graceful' && wasActive) await this.closeGracefully();
    if (mode === 'drop') this.failWaiting(this.lostError());
    this.status = 'closed';
    this.onClosed(this);
  }

  private async closeGracefully(): Promise<void> {
    await this.settled();
    try {
      await this.instance?.onDeactivate?.();
    } catch (err) {
      this.host.log.warn({ id: this.id, err: String(err) }, 'onDeactivate threw');
    }
    this.dirty = this.entry.durable;
    this.quiet();
    await this.settled();
  }

  private failWaiting(err: ResidentError): void {
    this.answerAll(this.waiting ?? [], err);
    this.waiting = undefined;
    this.dirty = false;
    this.notifySettled();
  }

  private failQueued(err: ResidentError): void {
    for (const turn of this.mailbox.takeQueued()) turn.settle(err);
  }

  get refs(): Refs {
    this.refsCache ??= this.host.refsFor(() => this.mailbox.runningChain);
    return this.refsCache;
  }

  /** Its references and its logger are made on first use: most objects never log (a child logger each cost ~150 B). */
  get context(): ResidentContext {
    if (this.contextCache) return this.contextCache;
    const activation = this;
    let log: Logger | undefined;
    this.contextCache = {
      nodeId: this.host.nodeId,
      clock: systemClock,
      get objects() {
        return activation.refs;
      },
      get log() {
        log ??= activation.host.log.child({ object: activation.id });
        return log;
      },
    };
    return this.contextCache;
  }

  setReminder(name: string, dueMs: number, periodMs: number): Promise<void> {
    return this.host.reminders.set(this, name, dueMs, periodMs);
  }

  clearReminder(name: string): Promise<void> {
    return this.host.reminders.clear(this, name);
  }

  setTimer(fn: () => unknown, ms: number, repeat: boolean): TimerHandle {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`timer delay must be a finite number ≥ 0, got ${ms}`);
    this.timers ??= new Map();
    const id = this.host.nextTimerId();
    const fire = () => {
      if (!repeat) this.timers?.delete(id);
      this.offerInternal((instance) => fn.call(instance), 'timer');
    };
    this.timers.set(id, repeat ? setInterval(fire, ms) : setTimeout(fire, ms));
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const t = this.timers?.get(handle.id);
    if (t) clearTimeout(t);
    this.timers?.delete(handle.id);
  }

  private clearTimers(): void {
    for (const t of this.timers?.values() ?? []) clearTimeout(t);
    this.timers = undefined;
  }

  /** Runs timer callbacks as turns of their own chain, so they never interleave with a call. */
  private offerInternal(run: (instance: AnyResident) => unknown, what: string): void {
    if (this.status !== 'active') return;
    const turn: ObjectTurn = {
      chain: this.host.newChain(),
      deadline: 0,
      internal: true,
      run,
      settle: (err) => {
        if (err) this.host.log.warn({ id: this.id, err: err.message }, `${what} failed`);
      },
    };
    if (this.mailbox.offer(turn) === 'full') this.host.log.warn({ id: this.id }, `mailbox full; ${what} skipped`);
  }
}
