// Small helpers for JSON endpoints on uWebSockets.js: bounded body reads, abort-safe async replies, CORS.
import type { HttpResponse } from 'uWebSockets.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS: Record<number, string> = {
  200: '200 OK',
  204: '204 No Content',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  413: '413 Payload Too Large',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
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

/** Reads a JSON body of at most `limit` bytes. Must be called synchronously inside the uWS handler. */
export function readJsonBody(res: HttpResponse, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.onData((chunk, isLast) => {
      size += chunk.byteLength;
      if (size > limit) return reject(new HttpError(413, 'too_large', `request body over ${limit} bytes`));
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      } catch {
        reject(new HttpError(400, 'bad_json', 'request body is not valid JSON'));
      }
    });
  });
}
