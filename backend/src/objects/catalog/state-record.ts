import { packValue, unpackValue } from '../messaging/payload.ts';
import type { StoredCall } from '../messaging/recent-calls.ts';

/**
 * What a durable object stores: its state, and the ids of the calls whose effects that state holds, so a call
 * resent to the object's next owner is not run again. Without remembered ids the record is the packed state alone,
 * as it always was; with them it is `0xc1 0x01`, the table's length (4 bytes, big-endian), the packed table, then the
 * packed state. 0xc1 is the one byte msgpack never uses, so no record written before this can start with it.
 */
const MARKER = 0xc1;
const VERSION = 1;
const HEADER = 6;

export interface StateRecord {
  readonly state: unknown;
  /** The state's own bytes, to compare with the next snapshot. */
  readonly stateBytes: Uint8Array;
  /** The stored table as read (unchecked), or undefined when the record has none. */
  readonly calls: unknown;
}

export function encodeStateRecord(state: Uint8Array, calls: StoredCall[] | undefined): Uint8Array {
  if (!calls?.length) return state;
  const table = packValue(calls);
  const out = new Uint8Array(HEADER + table.length + state.length);
  out[0] = MARKER;
  out[1] = VERSION;
  new DataView(out.buffer).setUint32(2, table.length);
  out.set(table, HEADER);
  out.set(state, HEADER + table.length);
  return out;
}

/** Throws a clear error on a record that claims the new layout but does not hold it. */
export function decodeStateRecord(bytes: Uint8Array): StateRecord {
  if (bytes[0] !== MARKER) return { state: unpackValue(bytes), stateBytes: bytes, calls: undefined };
  if (bytes[1] !== VERSION) throw new Error(`stored record has layout version ${bytes[1]} (this node reads 1)`);
  if (bytes.length < HEADER) throw new Error(`stored record of ${bytes.length} bytes is cut short`);
  const tableLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  if (HEADER + tableLength > bytes.length)
    throw new Error(`stored record's call table (${tableLength} bytes) runs past its end (${bytes.length} bytes)`);
  const stateBytes = bytes.subarray(HEADER + tableLength);
  let calls: unknown;
  try {
    calls = unpackValue(bytes.subarray(HEADER, HEADER + tableLength));
  } catch {
    calls = null; // not decodable: no ids are restored, the state still is
  }
  return { state: unpackValue(stateBytes), stateBytes, calls };
}
