import { Packr } from 'msgpackr';
import { ErrorCode, ResidentError } from '../errors.ts';

/**
 * Arguments and results are copied, never shared, so a call means the same whether it stays on the node or not.
 * msgpack silently turns functions into undefined, so values are checked before they are packed.
 */
const packr = new Packr({ useRecords: false, moreTypes: true });

const EMPTY_ARGS = packr.pack([]);

export function packValue(value: unknown): Uint8Array {
  assertPlainData(value, 0);
  return packr.pack(value);
}

export function packArgs(args: unknown[]): Uint8Array {
  return args.length === 0 ? EMPTY_ARGS : packValue(args);
}

export function unpackValue(bytes: Uint8Array): unknown {
  return bytes.length === 0 ? undefined : packr.unpack(bytes);
}

/** A deep copy with the same semantics as a round trip over the wire. Primitives need no copy. */
export function copyValue<T>(value: T): T {
  if (value === null || typeof value !== 'object') {
    assertPlainData(value, 0);
    return value;
  }
  return unpackValue(packValue(value)) as T;
}

export function copyArgs(args: unknown[]): unknown[] {
  for (const a of args) if (a !== null && typeof a === 'object') return unpackValue(packValue(args)) as unknown[];
  for (const a of args) assertPlainData(a, 0);
  return args;
}

/** The error for a packed call or result over the node's `maxPayloadBytes`. */
export function tooLarge(what: string, size: number, max: number): ResidentError {
  return new ResidentError(
    ErrorCode.PayloadTooLarge,
    `${what}: payload of ${size} bytes exceeds the ${max}-byte limit`,
  );
}

const MAX_DEPTH = 64;

function assertPlainData(value: unknown, depth: number): void {
  const t = typeof value;
  if (t === 'function' || t === 'symbol') throw unserialisable(`a ${t}`);
  if (value === null || t !== 'object') return;
  if (depth > MAX_DEPTH) throw unserialisable(`nesting deeper than ${MAX_DEPTH} (a cycle?)`);
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof Promise) {
    throw unserialisable(`a ${value.constructor.name}; use plain objects and arrays`);
  }
  if (ArrayBuffer.isView(value) || value instanceof Date) return;
  for (const v of Object.values(value as object)) assertPlainData(v, depth + 1);
}

function unserialisable(what: string): ResidentError {
  return new ResidentError(ErrorCode.Serialization, `cannot send ${what}: arguments and results must be plain data`);
}
