import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

export interface CallFrame {
  id: number;
  cls: string;
  key: string;
  method: string;
  args: Uint8Array;
  chain: string;
  timeoutMs: number;
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

const root = protobuf.parse(readFileSync(new URL('./envelope.proto', import.meta.url), 'utf8')).root;
const Batch = root.lookupType('resident.Batch');

export function encodeBatch(batch: BatchFrame): Uint8Array {
  return Batch.encode(batch).finish();
}

/** Throws on bytes that are not a well-formed batch; the inbox counts those as garbage. */
export function decodeBatch(bytes: Uint8Array): BatchFrame {
  const msg = Batch.decode(bytes) as unknown as BatchFrame;
  if (!msg.from) throw new EnvelopeError('batch without sender');
  for (const c of msg.calls) {
    if (!c.cls || !c.method || typeof c.id !== 'number') throw new EnvelopeError('call frame missing target or id');
  }
  return msg;
}

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}
