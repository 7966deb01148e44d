import type { ObjectTurn } from '../catalog/turn.ts';
import { ErrorCode, ResidentError, toResidentError } from '../errors.ts';
import { seqBefore } from './call-seqs.ts';
import { packValue, unpackValue } from './payload.ts';

/** Ids one object remembers at most; the oldest answered ones are forgotten first. */
export const MAX_REMEMBERED_CALLS = 128;
/** Reply bytes one object keeps; past this the oldest replies are dropped, their ids kept. */
export const MAX_REMEMBERED_REPLY_BYTES = 16 * 1024;
/** A caller resends only until its deadline; a deadline from the network further off than this is not believed. */
const MAX_WINDOW_MS = 60_000;
/** Covers resends in flight at the deadline and clock skew between the node that stored an id and the next owner. */
export const REMEMBER_SLACK_MS = 2_000;
const MAX_KEY = 200;

type Primitive = string | number | boolean | bigint | null | undefined;

/** What a call answered: its packed result or its error. Neither: it ran, but its reply is no longer kept. */
export interface RememberedReply {
  readonly result?: Uint8Array | undefined;
  readonly error?: ResidentError | undefined;
  /** A primitive result: once answered only the value is kept, not a buffer (most calls return one, or nothing). */
  readonly primitive?: true;
  readonly value?: Primitive;
}

const VOID: RememberedReply = { primitive: true, value: undefined };

/** An answered call as stored with the object's state: its key, until when it is remembered, and its reply. */
export type StoredCall = [key: string, expires: number, reply: Uint8Array | [code: string, message: string] | null];

/** A call's identity for deduplication: the caller's node id (where replies go), its start epoch, its sequence. */
export function callKey(caller: string, epoch: number, seq: number): string {
  return `${caller}/${epoch}/${seq}`;
}

interface Entry {
  readonly key: string;
  /** The key's caller part (node and epoch) and sequence number, which acknowledgements name. */
  readonly caller: string;
  readonly seq: number;
  expires: number;
  /** 'running': started, no outcome; 'ran': outcome known, not yet stored; 'answered': stored and replied. */
  stage: 'running' | 'ran' | 'answered';
  reply: RememberedReply | undefined;
  /** Resends that arrived before the outcome was answerable: they get the same answer. */
  waiters: ObjectTurn[] | undefined;
}

const KNOWN_ERRORS = new Set<string>(Object.values(ErrorCode));
/** Up to this many entries a scan is cheaper than a Map's memory. */
const SCAN_LIMIT = 8;

/**
 * The recent calls one object ran, by caller and call id, so a resent call runs at most once: a resend of an
 * answered call gets the remembered reply, and one of a call still running waits for its outcome. Bounded in count
 * and reply bytes; an id is kept until its caller acknowledges that it has the reply (`settledBelow` on its later
 * calls) or its deadline has passed (and no longer than a minute). An array in arrival order, not a Map: most
 * objects remember one or two calls, and a Map costs several times their size.
 */
export class RecentCalls {
  private entries: Entry[] = [];
  /** By key, once the table outgrows a short scan: a busy object remembers up to 128 calls, found on every call. */
  private index: Map<string, Entry> | undefined;
  private replyBytes = 0;
  /** The last acknowledgement applied: a caller repeats one while an older call of its is slow; no rescan then. */
  private ackedCaller: string | undefined;
  private ackedBelow = 0;

  get size(): number {
    return this.entries.length;
  }

  /** True if the turn is a resend that this table answers or attaches to; false if it should run (now tracked). */
  intercept(turn: ObjectTurn, key: string, now: number): boolean {
    const caller = callerOf(key);
    if (turn.settledBelow) this.forgetSettled(caller, turn.settledBelow);
    const entry = this.find(key);
    if (entry?.stage === 'answered' && entry.expires <= now) this.forget(entry);
    else if (entry) {
      if (entry.stage === 'answered') answer(turn, entry.reply);
      else {
        entry.waiters ??= [];
        entry.waiters.push(turn);
      }
      return true;
    }
    this.forgetOld(now);
    const expires = Math.min(turn.deadline || now, now + MAX_WINDOW_MS) + REMEMBER_SLACK_MS;
    this.add({ key, caller, seq: seqOf(key), expires, stage: 'running', reply: undefined, waiters: undefined });
    return false;
  }

  /** The call's outcome, packed now: later turns may change what the result refers to before it is answered. */
  ran(key: string, error: ResidentError | undefined, result: unknown): void {
    const entry = this.find(key);
    if (!entry) return;
    entry.stage = 'ran';
    if (error) entry.reply = { error };
    else {
      try {
        const packed = packValue(result);
        entry.reply = isPrimitive(result) ? { result: packed, primitive: true, value: result } : { result: packed };
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
    const entry = this.find(key);
    const waiters = entry?.waiters ?? [];
    if (entry) entry.waiters = undefined;
    if (failure || !entry) {
      if (entry) this.forget(entry);
      const err = failure ?? new ResidentError(ErrorCode.CommitFailed, 'the call was forgotten before it was answered');
      for (const t of [turn, ...waiters]) t.settle(err);
      return;
    }
    entry.stage = 'answered';
    this.replyBytes += replySize(entry.reply);
    for (const t of [turn, ...waiters]) answer(t, entry.reply);
    entry.reply = compact(entry.reply);
    this.keepReplyBudget();
  }

  /** The ids to store with the state: every call whose effects the state holds (answered, or about to be). */
  stored(now: number): StoredCall[] {
    const out: StoredCall[] = [];
    for (const e of this.entries) {
      if (e.stage !== 'running' && e.expires > now) out.push([e.key, e.expires, storedReply(e.reply)]);
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
      else if (c[1] > now) {
        const key = c[0];
        this.add({
          key,
          caller: callerOf(key),
          seq: seqOf(key),
          expires: c[1],
          stage: 'answered',
          reply,
          waiters: undefined,
        });
        this.replyBytes += replySize(reply);
      }
    }
    this.forgetOld(now);
    this.keepReplyBudget();
    return bad;
  }

  /** Forgets what is past its window; true if nothing is left, so the table can go. */
  sweep(now: number): boolean {
    this.forgetOld(now);
    return this.entries.length === 0;
  }

  /**
   * The caller (the sender of the frame carrying this, never anyone else) has every reply below `below`: those ids
   * cannot come back. Only answered ones go; one still running or storing keeps its entry until it is answered.
   */
  private forgetSettled(caller: string, below: number): void {
    if (this.entries.length === 0 || (below === this.ackedBelow && caller === this.ackedCaller)) return;
    this.ackedCaller = caller;
    this.ackedBelow = below;
    let kept = 0;
    for (const e of this.entries) {
      if (e.stage === 'answered' && e.caller === caller && seqBefore(e.seq, below)) this.dropped(e);
      else this.entries[kept++] = e;
    }
    this.entries.length = kept;
    if (kept === 0) this.index = undefined;
  }

  private find(key: string): Entry | undefined {
    if (this.index) return this.index.get(key);
    for (const e of this.entries) if (e.key === key) return e;
    return undefined;
  }

  private add(entry: Entry): void {
    if (this.entries.length === 0)
      this.entries = [entry]; // sized for one, as most tables stay
    else this.entries.push(entry);
    if (this.index) this.index.set(entry.key, entry);
    else if (this.entries.length > SCAN_LIMIT) this.index = new Map(this.entries.map((e) => [e.key, e]));
  }

  /** Answered ids past their window go (oldest first), and the oldest answered ones while the table is full. */
  private forgetOld(now: number): void {
    let i = 0;
    while (i < this.entries.length) {
      const e = this.entries[i]!;
      if (this.entries.length < MAX_REMEMBERED_CALLS && e.expires > now) return;
      if (e.stage === 'answered') this.forget(e, i);
      else i++;
    }
  }

  private forget(e: Entry, at = this.entries.indexOf(e)): void {
    this.entries.splice(at, 1);
    this.dropped(e);
    if (this.entries.length === 0) this.index = undefined;
  }

  /** An entry taken out of `entries`: out of the index and the reply budget too. */
  private dropped(e: Entry): void {
    this.index?.delete(e.key);
    this.replyBytes -= replySize(e.reply);
  }

  private keepReplyBudget(): void {
    for (const e of this.entries) {
      if (this.replyBytes <= MAX_REMEMBERED_REPLY_BYTES) return;
      if (e.stage !== 'answered' || !e.reply) continue;
      this.replyBytes -= replySize(e.reply);
      e.reply = undefined;
    }
  }
}

/** A key's caller part: its node and epoch (see `callKey`). */
function callerOf(key: string): string {
  const cut = key.lastIndexOf('/');
  return cut < 0 ? key : key.slice(0, cut);
}

/** A key's sequence number; NaN for a stored key not in that form (such an id then only expires). */
function seqOf(key: string): number {
  const cut = key.lastIndexOf('/');
  return cut < 0 ? Number.NaN : Number(key.slice(cut + 1));
}

function answer(turn: ObjectTurn, reply: RememberedReply | undefined): void {
  if (reply?.error) return turn.settle(reply.error);
  const result = reply?.result;
  if (result) return turn.settlePacked ? turn.settlePacked(result) : turn.settle(undefined, unpackValue(result));
  if (reply?.primitive) return turn.settle(undefined, reply.value);
  turn.settle(
    new ResidentError(
      ErrorCode.NodeLost,
      'the call ran once already, but its reply was not kept (too large to remember); it is not run again',
      turn.chain,
    ),
  );
}

/**
 * What an answered reply keeps: a primitive as itself; packed bytes copied out of msgpackr's shared chunk, which
 * they would otherwise pin for as long as they are remembered.
 */
function compact(reply: RememberedReply | undefined): RememberedReply | undefined {
  if (reply?.primitive) return reply.value === undefined ? VOID : { primitive: true, value: reply.value };
  const result = reply?.result;
  if (!result || result.byteLength === result.buffer.byteLength) return reply;
  return { result: Uint8Array.prototype.slice.call(result) };
}

function isPrimitive(v: unknown): v is Primitive {
  return v === null || (typeof v !== 'object' && typeof v !== 'function');
}

function replySize(reply: RememberedReply | undefined): number {
  if (reply?.primitive) return typeof reply.value === 'string' ? reply.value.length : 8;
  return reply?.result?.length ?? reply?.error?.message.length ?? 0;
}

function storedReply(reply: RememberedReply | undefined): StoredCall[2] {
  if (!reply) return null;
  if (reply.error) return [reply.error.code, reply.error.message];
  if (reply.result) return reply.result;
  return reply.primitive ? packValue(reply.value) : null;
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
