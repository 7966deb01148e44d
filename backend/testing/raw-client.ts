// Raw HTTP and WebSocket clients for limit tests: any method, bodies of any size (with or without a length), a
// chosen source address (any 127.x.y.z on Linux), and WebSockets that can stay silent, even to pings.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  /** Undefined when the server closed the connection without an answer. */
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
}

function open(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves once the socket is closed by the server; rejects after `ms`. */
export function closedWithin(socket: Socket, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed || socket.readableEnded) return resolve();
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.once('close', done);
    socket.once('end', done);
  });
}

function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = (end < 0 ? text : text.slice(0, end)).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: status ? Number(status) : undefined, headers, body: end < 0 ? '' : text.slice(end + 4) };
}

/**
 * Sends one request and waits for its answer (headers, and a body of the given Content-Length) or for the server to
 * close the connection; rejects when neither happens within `ms` (the request is held). Keeps the socket for more.
 */
export async function rawRequest(
  port: number,
  request: string,
  ms = 5000,
): Promise<{ response: RawResponse; socket: Socket }> {
  const socket = await open(port);
  const response = await new Promise<RawResponse>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms to ${request.split('\r\n')[0]}`)), ms);
    const finish = () => {
      clearTimeout(timer);
      resolve(parseResponse(text));
    };
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const parsed = parseResponse(text);
      const length = Number(parsed.headers['content-length'] ?? 0);
      if (text.includes('\r\n\r\n') && Buffer.byteLength(parsed.body, 'latin1') >= length) finish();
    });
    socket.once('close', finish);
    socket.once('error', finish);
    socket.write(request);
  });
  return { response, socket };
}

export interface UploadOptions {
  bytes: number;
  /** Chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * POSTs a body of `bytes` bytes, written as fast as the server takes it, and stops writing as soon as an answer
 * arrives or the server closes the connection. Resolves with the answer.
 */
export async function upload(port: number, path: string, opts: UploadOptions): Promise<RawResponse> {
  const socket = await open(port);
  const headers = {
    host: '127.0.0.1',
    'content-type': opts.contentType ?? 'application/json',
    ...(opts.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(opts.bytes) }),
    ...opts.headers,
  };
  const head = `POST ${path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return new Promise((resolve) => {
    let text = '';
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      resolve(parseResponse(text));
      socket.destroy();
    };
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) setTimeout(stop, 50); // the rest of a short body
    });
    socket.once('close', stop);
    socket.once('error', stop);
    const piece = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (!stopped && sent < opts.bytes) {
        const n = Math.min(piece.length, opts.bytes - sent);
        sent += n;
        const data = opts.chunked
          ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece.subarray(0, n), CRLF])
          : piece.subarray(0, n);
        if (!socket.write(data)) return void socket.once('drain', pump);
      }
      if (!stopped && opts.chunked) socket.write('0\r\n\r\n');
    };
    socket.write(head, pump);
  });
}

const CRLF = Buffer.from('\r\n');

/** A WebSocket spoken by hand: it answers nothing by itself (no pongs), so it can be as silent as a test needs. */
export class RawWebSocket {
  private buffer = Buffer.alloc(0);
  private readonly waiting: ((frame: { opcode: number; payload: Buffer }) => void)[] = [];
  private readonly frames: { opcode: number; payload: Buffer }[] = [];
  /** The close code the server sent (undefined until then, or when it closed without one). */
  closeCode: number | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('error', () => undefined);
  }

  /** Opens `path` (e.g. `/<processId>/<roomId>?sessionId=…`); rejects unless the server upgrades. */
  static async open(port: number, path: string, localAddress?: string): Promise<RawWebSocket> {
    const socket = await open(port, localAddress);
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const rest = await new Promise<Buffer>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = head.subarray(0, end).toString('latin1').split('\r\n')[0] ?? '';
        if (!status.includes(' 101 ')) return reject(new Error(`not upgraded: ${status}`));
        resolve(head.subarray(end + 4));
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed during the upgrade')));
    });
    const ws = new RawWebSocket(socket);
    if (rest.length > 0) ws.receive(rest);
    return ws;
  }

  /** The next data frame (binary or text), skipping pings; rejects after `ms`. */
  async next(ms = 5000): Promise<Buffer> {
    for (;;) {
      const frame = await this.nextFrame(ms);
      if (frame.opcode === 1 || frame.opcode === 2) return frame.payload;
    }
  }

  /** Sends one binary frame (masked, as a client must). */
  send(payload: Uint8Array): void {
    const mask = randomBytes(4);
    const masked = Buffer.from(payload).map((b, i) => b ^ mask[i % 4]!);
    if (payload.length >= 126) throw new Error('RawWebSocket.send: payloads under 126 bytes only');
    this.socket.write(Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, masked]));
  }

  /** Drops the connection without a close frame (a client whose network went away). */
  drop(): void {
    this.socket.destroy();
  }

  private nextFrame(ms: number): Promise<{ opcode: number; payload: Buffer }> {
    const ready = this.frames.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame within ${ms} ms`)), ms);
      this.waiting.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  private receive(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      const frame = readFrame(this.buffer);
      if (!frame) return;
      this.buffer = this.buffer.subarray(frame.size);
      if (frame.opcode === 8 && frame.payload.length >= 2) this.closeCode = frame.payload.readUInt16BE(0);
      const waiter = this.waiting.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    }
  }
}

/** One unmasked server frame from the front of `buf`, or undefined when it is not all there yet. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (buf.length < 2) return undefined;
  let length = buf[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return undefined;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return undefined;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (buf.length < offset + length) return undefined;
  return { opcode: buf[0]! & 0x0f, payload: buf.subarray(offset, offset + length), size: offset + length };
}

/** The Colyseus join handshake's first frame code (JOIN_ROOM), which the client acknowledges with the same byte. */
export const JOIN_ROOM = 10;

/** A seat reservation as POST /matchmake answers it. */
export interface Seat {
  roomId: string;
  processId: string;
  sessionId: string;
}

/** POST /matchmake/<method>/<room> with a token, from a chosen source address. */
export async function matchmake(
  port: number,
  method: string,
  room: string,
  token: string,
  opts: { options?: unknown; localAddress?: string } = {},
): Promise<{ status: number | undefined; json: Partial<Seat> & { code?: number; error?: string } }> {
  const body = JSON.stringify(opts.options ?? {});
  const socket = await open(port, opts.localAddress);
  const request =
    `POST /matchmake/${method}/${room} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Authorization: Bearer ${token}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  const text = await new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('utf8');
    });
    socket.once('close', () => resolve(text));
    socket.write(request);
  });
  const response = parseResponse(text);
  return { status: response.status, json: JSON.parse(response.body || '{}') };
}

/** Connects to a reserved seat; with `ack`, completes the join handshake as the SDK does. */
export async function joinSeat(
  port: number,
  seat: Seat,
  token: string,
  opts: { ack?: boolean; localAddress?: string } = {},
): Promise<RawWebSocket> {
  const path = `/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}&_authToken=${encodeURIComponent(token)}`;
  const ws = await RawWebSocket.open(port, path, opts.localAddress);
  if (opts.ack !== false) {
    const first = await ws.next();
    if (first[0] !== JOIN_ROOM) throw new Error(`expected JOIN_ROOM, got frame code ${first[0]}`);
    ws.send(Uint8Array.of(JOIN_ROOM));
  }
  return ws;
}
