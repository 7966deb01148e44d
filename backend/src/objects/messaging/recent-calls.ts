import type { ObjectTurn } from '../catalog/turn.ts';
import { ErrorCode, ResidentError, toResidentError } from '../errors.ts';
import { packValue, unpackValue } from './payload.ts';

/** Ids one object remembers at most; the oldest answered ones are forgotten first. */
export const MAX_REMEMBERED_CALLS = 128;
/** Reply bytes one object keeps; past this the oldest replies are dropped, their ids kept. */
export const MAX_REMEMBERED_REPLY_BYTES = 16 * 1024;
/** A caller resends only until its deadline; a deadline from the network further off than this is not believed. */
const MAX_WINDOW_MS = 60_000;
/** Covers resends in flight at the deadline and clock skew between the node that stored an id and the next owner. */
const SLACK_MS = 2_000;
const MAX_KEY = 200;

/** What a call answered: its packed result or its error. Neither: it ran, but its reply is no longer kept. */
export interface RememberedReply {
  readonly result?: Uint8Array | undefined;
  readonly error?: ResidentError | undefined;
}

/** An answered call as stored with the object's state: its key, until when it is remembered, and its reply. */
export type StoredCall = [key: string, expires: number, reply: Uint8Array | [code: string, message: string] | null];

/** A call's identity for deduplication: the caller's node id (where replies go), its start epoch, its sequence. */
export function callKey(caller: string, epoch: number, seq: number): string {
  return `${caller}/${epoch}/${seq}`;
}

interface Entry {
  expires: number;
  /** 'running': started, no outcome; 'ran': outcome known, not yet stored; 'answered': stored and replied. */
  stage: 'running' | 'ran' | 'answered';
  reply: RememberedReply | undefined;
  /** Resends that arrived before the outcome was answerable: they get the same answer. */
  waiters: ObjectTurn[] | undefined;
}

const KNOWN_ERRORS = new Set<string>(Object.values(ErrorCode));

/**
 * The recent calls one object ran, by caller and call id, so a resent call runs at most once: a resend of an
 * answered call gets the remembered reply, and one of a call still running waits for its outcome. Bounded in count
 * and reply bytes; an id is kept until its caller's deadline has passed (and no longer than a minute).
 */
export class RecentCalls {
  private readonly entries = new Map<string, Entry>();
  private replyBytes = 0;

  get size(): number {
    return this.entries.size;
  }

  /** True if the turn is a resend that this table answers or attaches to; false if it should run (now tracked). */
  intercept(turn: ObjectTurn, key: string, now: number): boolean {
    const entry = this.entries.get(key);
    if (entry?.stage === 'answered' && entry.expires <= now) this.forget(key, entry);
    else if (entry) {
      if (entry.stage === 'answered') answer(turn, entry.reply);
      else {
        entry.waiters ??= [];
        entry.waiters.push(turn);
      }
      return true;
    }
    this.forgetOld(now);
    const expires = Math.min(turn.deadline || now, now + MAX_WINDOW_MS) + SLACK_MS;
    this.entries.set(key, { expires, stage: 'running', reply: undefined, waiters: undefined });
    return false;
  }

  /** The call's outcome, packed now: later turns may change what the result refers to before it is answered. */
  ran(key: string, error: ResidentError | undefined, result: unknown): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.stage = 'ran';
    if (error) entry.reply = { error };
    else {
      try {
        entry.reply = { result: packValue(result) };
      } catch (err) {
        entry.reply = { error: toResidentError(err) };
      }
    }
  }

  /**
   * The outcome is final: the turn and every resend waiting on it get the remembered reply, or `failure` if the
   * outcome was not stored (then the call did not happen, and the id is forgotten so a resend runs it).
   */
  settle(turn: ObjectTurn, key: string, failure: ResidentError | undefined): void {
    const entry = this.entries.get(key);
    const waiters = entry?.waiters ?? [];
    if (entry) entry.waiters = undefined;
    if (failure || !entry) {
      this.entries.delete(key);
      const err = failure ?? new ResidentError(ErrorCode.CommitFailed, 'the call was forgotten before it was answered');
      for (const t of [turn, ...waiters]) t.settle(err);
      return;
    }
    entry.stage = 'answered';
    this.replyBytes += replySize(entry.reply);
    for (const t of [turn, ...waiters]) answer(t, entry.reply);
    entry.reply = ownCopy(entry.reply);
    this.keepReplyBudget();
  }

  /** The ids to store with the state: every call whose effects the state holds (answered, or about to be). */
  stored(now: number): StoredCall[] {
    const out: StoredCall[] = [];
    for (const [key, e] of this.entries) {
      if (e.stage !== 'running' && e.expires > now) out.push([key, e.expires, storedReply(e.reply)]);
    }
    return out;
  }

  /** Ids stored by a previous owner; they come from the store, so each is checked. Returns how many were bad. */
  restore(calls: unknown, now: number): number {
    if (!Array.isArray(calls)) return 1;
    let bad = 0;
    for (const c of calls) {
      const reply = isStoredCall(c) ? restoredReply(c[2]) : false;
      if (reply === false) bad++;
      else if (c[1] > now) this.remember(c[0], c[1], reply);
    }
    this.forgetOld(now);
    return bad;
  }

  private remember(key: string, expires: number, reply: RememberedReply | undefined): void {
    this.entries.set(key, { expires, stage: 'answered', reply, waiters: undefined });
    this.replyBytes += replySize(reply);
    this.keepReplyBudget();
  }

  /** Forgets what is past its window; true if nothing is left, so the table can go. */
  sweep(now: number): boolean {
    this.forgetOld(now);
    return this.entries.size === 0;
  }

  /** Answered ids past their window go (oldest first), and the oldest answered ones while the table is full. */
  private forgetOld(now: number): void {
    for (const [key, e] of this.entries) {
      if (this.entries.size < MAX_REMEMBERED_CALLS && e.expires > now) return;
      if (e.stage === 'answered') this.forget(key, e);
    }
  }

  private forget(key: string, e: Entry): void {
    this.entries.delete(key);
    this.replyBytes -= replySize(e.reply);
  }

  private keepReplyBudget(): void {
    for (const e of this.entries.values()) {
      if (this.replyBytes <= MAX_REMEMBERED_REPLY_BYTES) return;
      if (e.stage !== 'answered' || !e.reply) continue;
      this.replyBytes -= replySize(e.reply);
      e.reply = undefined;
    }
  }
}

function answer(turn: ObjectTurn, reply: RememberedReply | undefined): void {
  if (reply?.error) return turn.settle(reply.error);
  const result = reply?.result;
  if (result) return turn.settlePacked ? turn.settlePacked(result) : turn.settle(undefined, unpackValue(result));
  turn.settle(
    new ResidentError(
      ErrorCode.NodeLost,
      'the call ran once already, but its reply was not kept (too large to remember); it is not run again',
      turn.chain,
    ),
  );
}

/** A packed result is a view of msgpackr's shared chunk; kept for seconds, it would pin the whole chunk. */
function ownCopy(reply: RememberedReply | undefined): RememberedReply | undefined {
  const result = reply?.result;
  if (!result || result.byteLength === result.buffer.byteLength) return reply;
  return { result: Uint8Array.prototype.slice.call(result) };
}

function replySize(reply: RememberedReply | undefined): number {
  return reply?.result?.length ?? reply?.error?.message.length ?? 0;
}

function storedReply(reply: RememberedReply | undefined): StoredCall[2] {
  if (!reply) return null;
  if (reply.error) return [reply.error.code, reply.error.message];
  return reply.result ?? null;
}

function isStoredCall(c: unknown): c is StoredCall {
  return (
    Array.isArray(c) &&
    c.length === 3 &&
    typeof c[0] === 'string' &&
    c[0].length > 0 &&
    c[0].length <= MAX_KEY &&
    typeof c[1] === 'number' &&
    Number.isFinite(c[1])
  );
}

/** A stored reply as the table holds it; false if it is not one. An unknown error code reads as Application. */
function restoredReply(r: unknown): RememberedReply | undefined | false {
  if (r === null) return undefined;
  if (r instanceof Uint8Array) return { result: r };
  if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'string' || typeof r[1] !== 'string') return false;
  const [code, message] = r as [string, string];
  if (KNOWN_ERRORS.has(code)) return { error: new ResidentError(code as ErrorCode, message) };
  return { error: new ResidentError(ErrorCode.Application, `${code}: ${message}`) };
}
