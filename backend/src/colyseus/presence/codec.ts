import { Packr } from 'msgpackr';

/** The same msgpack dialect as object calls: plain maps (no records), Dates, typed arrays and errors round-trip. */
const packr = new Packr({ useRecords: false, moreTypes: true });

/** Returned instead of a value when the bytes are not a message of ours. */
export const GARBAGE: unique symbol = Symbol('presence.garbage');

/**
 * A published message is the msgpack array `[data]`. The wrapper is what lets a subscriber tell garbage from data:
 * almost any single byte is a valid msgpack scalar, but random bytes rarely form a one-element array.
 */
export function encodeMessage(data: unknown): Uint8Array {
  return packr.pack([data]);
}

export function decodeMessage(bytes: Uint8Array): unknown {
  const value = tryUnpack(bytes);
  return Array.isArray(value) && value.length === 1 ? value[0] : GARBAGE;
}

export function encodeStrings(values: readonly string[]): Uint8Array {
  return packr.pack(values);
}

/** A list of strings (channel names), or GARBAGE. */
export function decodeStrings(bytes: Uint8Array): string[] | typeof GARBAGE {
  const value = tryUnpack(bytes);
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : GARBAGE;
}

export function encodeString(value: string): Uint8Array {
  return packr.pack(value);
}

export function decodeString(bytes: Uint8Array): string | typeof GARBAGE {
  const value = tryUnpack(bytes);
  return typeof value === 'string' ? value : GARBAGE;
}

function tryUnpack(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return GARBAGE;
  try {
    return packr.unpack(bytes);
  } catch {
    return GARBAGE;
  }
}
