// A minimal RFC 6455 WebSocket client on a bare net.Socket. The `ws` package costs about twice the memory per idle
// connection (its Receiver and Sender are streams of their own); a bot only needs binary frames, ping/pong and close.
// Handlers are shared module functions, not per-socket closures, to keep an idle connection small.

import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HANDSHAKE_BYTES = 16 * 1024;
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

const Op = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface SocketListener {
  onOpen(): void;
  onMessage(data: Buffer): void;
  /** Exactly once. `code` is the close frame's code, 1006 when the connection just ended, or 0 for a failed handshake. */
  onClose(code: number, reason: string): void;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Path with query, e.g. `/proc/room?sessionId=…`. */
  path: string;
  localAddress?: string;
  noDelay?: boolean;
}

const OWNER = Symbol('leanSocket');
type OwnedSocket = Socket & { [OWNER]: LeanSocket };

let maskPool = Buffer.alloc(0);
let maskAt = 0;
function nextMask(): Buffer {
  if (maskAt + 4 > maskPool.length) {
    maskPool = randomFillSync(Buffer.allocUnsafe(4096));
    maskAt = 0;
  }
  maskAt += 4;
  return maskPool.subarray(maskAt - 4, maskAt);
}

enum State {
  Handshake = 0,
  Open = 1,
  Closing = 2,
  Closed = 3,
}

export class LeanSocket {
  readonly #socket: OwnedSocket;
  readonly #listener: SocketListener;
  #state = State.Handshake;
  /** Sec-WebSocket-Key until the handshake completes. */
  #key: string | undefined;
  /** Bytes of an incomplete frame (or handshake), copied so a big read chunk is not retained. */
  #pending: Buffer | undefined;
  #fragments: Buffer[] | undefined;
  #error: string | undefined;

  constructor(opts: ConnectOptions, listener: SocketListener) {
    this.#listener = listener;
    this.#key = randomBytes(16).toString('base64');
    const socket = connect({
      host: opts.host,
      port: opts.port,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      noDelay: opts.noDelay ?? true,
    }) as OwnedSocket;
    socket[OWNER] = this;
    this.#socket = socket;
    socket.once('connect', onConnect);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.once('close', onSocketClose);
    this.#pending = Buffer.from(
      `GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${this.#key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  }

  get open(): boolean {
    return this.#state === State.Open;
  }

  /** Queued bytes not yet handed to the kernel: a slow reader shows here. */
  get buffered(): number {
    return this.#socket.writableLength;
  }

  send(data: Uint8Array): void {
    if (this.#state !== State.Open) return;
    this.#socket.write(frame(Op.binary, data));
  }

  /** Close handshake: send a close frame and end; the server's close frame or the socket's end finishes it. */
  close(code = 1000): void {
    if (this.#state >= State.Closing) return;
    if (this.#state === State.Handshake) {
      this.#socket.destroy();
      return;
    }
    this.#state = State.Closing;
    const body = Buffer.allocUnsafe(2);
    body.writeUInt16BE(code, 0);
    this.#socket.end(frame(Op.close, body));
  }

  /** No handshake: drop the connection now. */
  destroy(): void {
    this.#socket.destroy();
  }

  /** @internal */ _connected(): void {
    const request = this.#pending!;
    this.#pending = undefined;
    this.#socket.write(request);
  }

  /** @internal */ _error(err: Error): void {
    this.#error ??= err.message;
  }

  /** @internal */ _closed(): void {
    if (this.#state === State.Closed) return;
    const wasHandshake = this.#state === State.Handshake;
    this.#state = State.Closed;
    this.#pending = undefined;
    this.#fragments = undefined;
    this.#listener.onClose(wasHandshake ? 0 : 1006, this.#error ?? (wasHandshake ? 'closed during handshake' : ''));
  }

  /** @internal */ _data(chunk: Buffer): void {
    let buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = undefined;
    if (this.#state === State.Handshake) {
      const rest = this.#handshake(buf);
      if (rest === undefined) return;
      buf = rest;
    }
    let off = 0;
    while (this.#state !== State.Closed) {
      const used = this.#frame(buf, off);
      if (used === 0) break;
      off += used;
    }
    if (off < buf.length && this.#state !== State.Closed) this.#pending = Buffer.from(buf.subarray(off));
  }

  /** Bytes after the response headers, or undefined while incomplete or when the handshake failed. */
  #handshake(buf: Buffer): Buffer | undefined {
    const end = buf.indexOf(HEADER_END);
    if (end < 0) {
      if (buf.length > MAX_HANDSHAKE_BYTES) this.#fail('handshake response too large');
      else this.#pending = Buffer.from(buf);
      return undefined;
    }
    const head = buf.toString('latin1', 0, end);
    const status = head.slice(0, head.indexOf('\r\n'));
    if (!/^HTTP\/1\.1 101/.test(status)) {
      this.#fail(`handshake refused: ${status} ${buf.toString('utf8', end + 4, end + 204).trim()}`.trim());
      return undefined;
    }
    const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
    const expected = createHash('sha1')
      .update(this.#key + GUID)
      .digest('base64');
    if (accept !== expected) {
      this.#fail('handshake: bad Sec-WebSocket-Accept');
      return undefined;
    }
    this.#key = undefined;
    this.#state = State.Open;
    this.#listener.onOpen();
    return buf.subarray(end + 4);
  }

  /** Handles one complete frame at `off`; returns its size, or 0 if it is not all there yet. */
  #frame(buf: Buffer, off: number): number {
    const avail = buf.length - off;
    if (avail < 2) return 0;
    const b0 = buf[off]!;
    const b1 = buf[off + 1]!;
    let len = b1 & 0x7f;
    let head = 2;
    if (len === 126) {
      if (avail < 4) return 0;
      len = buf.readUInt16BE(off + 2);
      head = 4;
    } else if (len === 127) {
      if (avail < 10) return 0;
      len = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6);
      head = 10;
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked) head += 4;
    if (len > MAX_FRAME_BYTES) {
      this.#fail(`frame of ${len} bytes`);
      return 0;
    }
    if (avail < head + len) return 0;
    let payload = buf.subarray(off + head, off + head + len);
    if (masked) payload = unmask(payload, buf.subarray(off + head - 4, off + head));
    this.#dispatch(b0 & 0x0f, (b0 & 0x80) !== 0, payload);
    return head + len;
  }

  #dispatch(op: number, fin: boolean, payload: Buffer): void {
    if (op === Op.binary || op === Op.text || op === Op.continuation) {
      if (!fin || this.#fragments) {
        // Fragmented message: uWS does not fragment, but the protocol allows it.
        this.#fragments ??= [];
        this.#fragments.push(Buffer.from(payload));
        if (!fin) return;
        payload = Buffer.concat(this.#fragments);
        this.#fragments = undefined;
      }
      if (this.#state === State.Open) this.#listener.onMessage(payload);
    } else if (op === Op.ping) {
      if (this.#state === State.Open) this.#socket.write(frame(Op.pong, payload));
    } else if (op === Op.close) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.#error = payload.length > 2 ? payload.toString('utf8', 2) : '';
      if (this.#state === State.Open) this.#socket.end(frame(Op.close, payload.subarray(0, 2)));
      this.#state = State.Closed;
      this.#listener.onClose(code, this.#error);
    }
  }

  #fail(reason: string): void {
    this.#error = reason;
    this.#socket.destroy();
  }
}

function frame(op: number, data: Uint8Array): Buffer {
  const len = data.length;
  const head = len < 126 ? 6 : len < 65536 ? 8 : 14;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x80 | op;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  const mask = nextMask();
  mask.copy(out, head - 4);
  for (let i = 0; i < len; i++) out[head + i] = data[i]! ^ mask[i & 3]!;
  return out;
}

function unmask(payload: Buffer, mask: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

function onConnect(this: OwnedSocket): void {
  this[OWNER]._connected();
}
function onData(this: OwnedSocket, chunk: Buffer): void {
  this[OWNER]._data(chunk);
}
function onError(this: OwnedSocket, err: Error): void {
  this[OWNER]._error(err);
}
function onSocketClose(this: OwnedSocket): void {
  this[OWNER]._closed();
}
