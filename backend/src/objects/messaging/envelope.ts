import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { ErrorCode } from '../errors.ts';
import { isNodeId } from '../membership/member.ts';
import { seqBefore } from './call-seqs.ts';

export interface CallFrame {
  id: number;
  cls: string;
  key: string;
  method: string;
  args: Uint8Array;
  chain: string;
  timeoutMs: number;
  /** Same on every resend of one call (see envelope.proto); 0 or absent: not remembered. */
  callSeq?: number;
  callerEpoch?: number;
  /** The sender has settled all its calls below this sequence number (see envelope.proto); 0 or absent: none. */
  settledBelow?: number;
}

export interface ReplyFrame {
  id: number;
  result?: Uint8Array;
  errorCode?: string;
  errorMessage?: string;
}

export interface BatchFrame {
  from: string;
  calls: CallFrame[];
  replies: ReplyFrame[];
}

/** A call frame that cannot be run: answered with an error, since its sender and id are usable. */
export interface RejectedCall {
  readonly id: number;
  readonly problem: string;
}

/** A batch whose envelope checks out, with the frames that do not taken out. */
export interface CheckedBatch {
  readonly batch: BatchFrame;
  readonly rejectedCalls: readonly RejectedCall[];
  /** Why each dropped reply was dropped. */
  readonly droppedReplies: readonly string[];
}

/** Senders split their batches before this, so a bigger one is not from a well-behaved peer. */
export const MAX_FRAMES_PER_BATCH = 4096;
/** Class and method names are identifiers; longer ones are not ours. */
const MAX_NAME = 128;
/** Object keys: the state store's key limit applies later; this only keeps absurd frames out. */
const MAX_KEY = 2048;
const MAX_CHAIN = 256;
/** Error messages are for people; a longer one is cut, not refused. */
const MAX_ERROR_MESSAGE = 4096;
const KNOWN_ERRORS = new Set<string>(Object.values(ErrorCode));

const root = protobuf.parse(readFileSync(new URL('./envelope.proto', import.meta.url), 'utf8')).root;
const Batch = root.lookupType('resident.Batch');

export function encodeBatch(batch: BatchFrame): Uint8Array {
  return Batch.encode(batch).finish();
}

/** Throws on bytes that are not a well-formed batch; frames are not checked (see `checkBatch`). */
export function decodeBatch(bytes: Uint8Array): BatchFrame {
  const msg = Batch.decode(bytes) as unknown as BatchFrame;
  if (!isNodeId(msg.from)) throw new EnvelopeError('bad_sender', `sender ${quote(msg.from)} is not a node id`);
  const frames = msg.calls.length + msg.replies.length;
  if (frames > MAX_FRAMES_PER_BATCH)
    throw new EnvelopeError('too_many_frames', `${frames} frames in one batch (at most ${MAX_FRAMES_PER_BATCH})`);
  return msg;
}

/**
 * Decodes a batch read from NATS and checks every frame: a malformed envelope throws `EnvelopeError`; a malformed
 * frame is taken out and reported, so the well-formed frames next to it still run.
 */
export function checkBatch(bytes: Uint8Array): CheckedBatch {
  let decoded: BatchFrame;
  try {
    decoded = decodeBatch(bytes);
  } catch (err) {
    if (err instanceof EnvelopeError) throw err;
    throw new EnvelopeError('undecodable', err instanceof Error ? err.message : String(err));
  }
  const rejectedCalls: RejectedCall[] = [];
  const droppedReplies: string[] = [];
  const calls: CallFrame[] = [];
  const replies: ReplyFrame[] = [];
  for (const call of decoded.calls) {
    const problem = callProblem(call);
    if (problem) rejectedCalls.push({ id: call.id, problem });
    else calls.push(call);
  }
  for (const reply of decoded.replies) {
    const problem = replyProblem(reply);
    if (problem) droppedReplies.push(problem);
    else replies.push(normalizeReply(reply));
  }
  return { batch: { from: decoded.from, calls, replies }, rejectedCalls, droppedReplies };
}

function callProblem(c: CallFrame): string | undefined {
  if (!isName(c.cls)) return `class name ${quote(c.cls)} is not 1-${MAX_NAME} characters`;
  if (!isName(c.method)) return `method name ${quote(c.method)} is not 1-${MAX_NAME} characters`;
  if (c.key.length > MAX_KEY) return `object key of ${c.key.length} characters (at most ${MAX_KEY})`;
  if (c.chain.length > MAX_CHAIN) return `call chain of ${c.chain.length} characters (at most ${MAX_CHAIN})`;
  if (c.timeoutMs < 1) return 'no time budget (timeout_ms 0)';
  return ackProblem(c);
}

/** This call is unsettled, so a sender that acknowledges past it (or without a call id at all) is confused. */
function ackProblem(c: CallFrame): string | undefined {
  const below = c.settledBelow;
  if (!below) return undefined;
  if (!c.callSeq) return `acknowledges calls below ${below} but carries no call id`;
  if (seqBefore(c.callSeq, below)) return `acknowledges calls below ${below}, past its own call id ${c.callSeq}`;
  return undefined;
}

function replyProblem(r: ReplyFrame): string | undefined {
  const code = r.errorCode ?? '';
  if (code.length > MAX_NAME) return `error code of ${code.length} characters`;
  return undefined;
}

/** An error code this node does not know still means the call failed: it reaches the caller as an Application error. */
function normalizeReply(r: ReplyFrame): ReplyFrame {
  const code = r.errorCode;
  if (!code) return r;
  let message = r.errorMessage ?? '';
  if (message.length > MAX_ERROR_MESSAGE) message = `${message.slice(0, MAX_ERROR_MESSAGE)}…`;
  if (KNOWN_ERRORS.has(code)) return { id: r.id, errorCode: code, errorMessage: message };
  return { id: r.id, errorCode: ErrorCode.Application, errorMessage: `${code}: ${message}` };
}

function isName(s: string): boolean {
  return s.length > 0 && s.length <= MAX_NAME;
}

/** Quoted and cut short: what a log line shows of a field that may be huge. */
function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';

  constructor(
    /** The metric label: what kind of malformed input this was. */
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}
