// Small helpers for JSON endpoints on uWebSockets.js: bounded body reads, abort-safe async replies, CORS.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds a client should wait before it tries again (the Retry-After header). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const STATUS: Record<number, string> = {
  200: '200 OK',
  204: '204 No Content',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
};

/** The browser client may be served from elsewhere in development (Vite), so the API allows any origin. */
export function writeCors(res: HttpResponse): HttpResponse {
  return res
    .writeHeader('access-control-allow-origin', '*')
    .writeHeader('access-control-allow-headers', 'authorization, content-type')
    .writeHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
}

/** Runs `work` and sends its result as JSON; HttpError becomes its status, anything else a 500. */
export function replyJson(res: HttpResponse, work: () => Promise<unknown>): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  Promise.resolve()
    .then(work)
    .then(
      (body) => send(res, 200, body, () => aborted),
      (err: unknown) => {
        const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error');
        send(res, e.status, { error: e.message, code: e.code }, () => aborted);
      },
    );
}

function send(res: HttpResponse, status: number, body: unknown, aborted: () => boolean): void {
  if (aborted()) return;
  res.cork(() => {
    writeCors(res.writeStatus(STATUS[status] ?? `${status}`))
      .writeHeader('content-type', 'application/json')
      .writeHeader('cache-control', 'no-store')
      .end(JSON.stringify(body));
  });
}

/** Media types whose body is read as JSON: JSON itself, and none or text/plain (what `fetch` sends for a string). */
const JSON_TYPES = new Set(['', 'application/json', 'text/plain']);

/** What a request body may be, read from its headers; must be called synchronously inside the uWS handler. */
export interface BodyHeaders {
  contentType: string;
  /** The declared Content-Length; undefined when absent (a chunked body). */
  contentLength: number | undefined;
}

export function bodyHeaders(req: HttpRequest): BodyHeaders {
  const length = req.getHeader('content-length');
  return {
    contentType: req.getHeader('content-type'),
    contentLength: /^\d+$/.test(length) ? Number(length) : undefined,
  };
}

/**
 * Why a body with these headers must not be read at all (415, 413), or undefined. Checked before any byte is read:
 * a declared length over the limit is refused without receiving the body.
 */
export function refuseBody(headers: BodyHeaders, limit: number): HttpError | undefined {
  const type = headers.contentType.split(';')[0]!.trim().toLowerCase();
  if (!JSON_TYPES.has(type)) {
    return new HttpError(415, 'unsupported_media_type', `request body must be application/json, not ${type}`);
  }
  if (headers.contentLength !== undefined && headers.contentLength > limit) return tooLarge(limit);
  return undefined;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'too_large', `request body over ${limit} bytes`);
}

/**
 * Reads a body of at most `limit` bytes. Must be called synchronously inside the uWS handler. A body that grows
 * past the limit (one without a Content-Length) is refused with 413 as soon as it does, and nothing more is kept.
 * The connection stays open after such an answer: uWS reads the rest of the body and drops it, so the client
 * reads the answer (closing at once would reset the connection, and the client would lose it).
 */
export function readBody(res: HttpResponse, headers: BodyHeaders, limit: number): Promise<Buffer> {
  const refusal = refuseBody(headers, limit);
  if (refusal) return Promise.reject(refusal);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        return reject(tooLarge(limit));
      }
      chunks.push(Buffer.from(chunk.slice(0))); // uWS reuses the chunk's memory after this callback
      if (!isLast) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Reads a JSON body of at most `limit` bytes (see readBody). */
export async function readJsonBody(res: HttpResponse, req: HttpRequest, limit: number): Promise<unknown> {
  return parseJson(await readBody(res, bodyHeaders(req), limit));
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8') || 'null');
  } catch {
    throw new HttpError(400, 'bad_json', 'request body is not valid JSON');
  }
}
