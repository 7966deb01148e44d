// The Colyseus 0.18 room protocol as bytes, for bots that do not load the SDK: frame codes and the few frames a bot
// reads and writes. Layouts follow @colyseus/sdk src/Room.ts and @colyseus/shared-types Protocol.ts.

import { decode, encode, type Iterator } from '@colyseus/schema';

/** Leading byte of every room frame (low 5 bits; the high 3 bits are modifiers). */
export const Code = {
  joinRoom: 10,
  error: 11,
  leaveRoom: 12,
  roomData: 13,
  roomState: 14,
  roomStatePatch: 15,
  roomDataBytes: 17,
  ping: 18,
} as const;

const CODE_MASK = 0x1f;
/** ProtocolModifier.TIMED: `[uint32 serverNow][uint32 lastInputSeq]` follows the code byte. */
const TIMED = 0x80;
/** ProtocolModifier.UNRELIABLE: `[uint16 seq]` follows the code byte. */
const UNRELIABLE = 0x40;

export const JOIN_ACK = Uint8Array.of(Code.joinRoom);
export const PING_FRAME = Uint8Array.of(Code.ping);
export const LEAVE_FRAME = Uint8Array.of(Code.leaveRoom);

export interface FrameHead {
  code: number;
  /** Offset of the body, after any modifier prefix. */
  it: Iterator;
}

export function readHead(frame: Uint8Array): FrameHead {
  const raw = frame[0] ?? 0;
  const it: Iterator = { offset: 1 };
  if (raw & TIMED) it.offset += 8;
  else if (raw & UNRELIABLE) it.offset += 2;
  return { code: raw & CODE_MASK, it };
}

export interface JoinRoom {
  reconnectionToken: string;
  serializerId: string;
  /** The frame up to the end of the state reflection, and where the reflection starts (what Reflection.decode takes). */
  reflection?: { bytes: Uint8Array; offset: number };
}

export function readJoinRoom(frame: Uint8Array, it: Iterator): JoinRoom {
  const buf = frame as Buffer;
  const reconnectionToken = decode.utf8Read(buf, it, buf[it.offset++]!);
  const serializerId = decode.utf8Read(buf, it, buf[it.offset++]!);
  const length = decode.number(buf, it);
  if (length <= 0) return { reconnectionToken, serializerId };
  return {
    reconnectionToken,
    serializerId,
    reflection: { bytes: frame.subarray(0, it.offset + length), offset: it.offset },
  };
}

/** ROOM_DATA and ROOM_DATA_BYTES start with the message type: a string, or a number. */
export function readMessageType(frame: Uint8Array, it: Iterator): string | number {
  const buf = frame as Buffer;
  return decode.stringCheck(buf, it) ? decode.string(buf, it) : decode.number(buf, it);
}

export function readError(frame: Uint8Array, it: Iterator): { code: number; message: string } {
  const buf = frame as Buffer;
  const code = decode.number(buf, it);
  return { code, message: decode.string(buf, it) };
}

/** `[ROOM_DATA_BYTES][type]`: computed once per message type, then copied in front of each payload. */
export function bytesHeader(type: string): Uint8Array {
  const scratch = new Uint8Array(64);
  const it: Iterator = { offset: 1 };
  scratch[0] = Code.roomDataBytes;
  encode.string(scratch as Buffer, type, it);
  return scratch.slice(0, it.offset);
}

export function bytesMessage(header: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return out;
}
