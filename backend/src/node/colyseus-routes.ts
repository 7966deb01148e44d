// Colyseus's HTTP routes (matchmaking, `/__healthcheck`, `/`) on the node's uWS app. It replaces the 0.18 uWS
// transport's own bridge, which concatenates request bodies without a limit before onAuth runs and leaves a
// request without a route (TRACE, PROPFIND, …) unanswered and without a timeout. Here a body is bounded and
// refused (413, 415) before it is buffered, matchmaking options are bounded in depth, every other request is
// answered by `unrouted`, and the matchmaker sees the client's real address. Matchmaking requests in flight are
// bounded: past the bound a join storm is refused at once with 503 and Retry-After, before its body is read, so
// queues cannot grow until seats expire.

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { matchMaker, type Router } from '@colyseus/core';
import { optionsProblem } from '../colyseus/rooms/resident-room.ts';
import { bodyHeaders, HttpError, parseJson, readBody, STATUS } from './http-json.ts';

export interface ColyseusRouteOptions {
  maxBodyBytes: number;
  maxOptionsDepth: number;
  /** Matchmaking requests this node serves at once; more are refused with 503 and Retry-After. */
  maxPendingJoins: number;
  /** Answers a request that neither Colyseus nor the node's own routes take (404, or 405 with Allow). */
  unrouted: (res: HttpResponse, req: HttpRequest, colyseusMethods: string[]) => void;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** What a refused join is told to wait: about how long the requests in flight take to drain at a node's pace. */
export const JOIN_RETRY_AFTER_SECONDS = 1;

export function bindColyseusRoutes(app: TemplatedApp, router: Router, opts: ColyseusRouteOptions): void {
  const gate = { pending: 0 };
  app.options('/*', (res, req) => {
    const headers = requestHeaders(req);
    res.writeStatus(STATUS[204]!);
    writeCors(res, headers);
    res.end();
  });
  app.any('/*', (res, req) => {
    const method = req.getMethod().toUpperCase();
    const url = req.getUrl();
    if (router.findRoute(method, url) === undefined) {
      opts.unrouted(
        res,
        req,
        METHODS.filter((m) => router.findRoute(m, url) !== undefined),
      );
      return;
    }
    const request = {
      method,
      url: `http://${req.getHeader('host') || 'localhost'}${url}${req.getQuery() ? `?${req.getQuery()}` : ''}`,
      headers: requestHeaders(req),
      peer: Buffer.from(res.getRemoteAddressAsText()).toString(),
    };
    const joining = method === 'POST' && url.startsWith('/matchmake/');
    if (joining && gate.pending >= opts.maxPendingJoins) {
      const why = `${gate.pending} matchmaking requests in flight on this node; retry in ${JOIN_RETRY_AFTER_SECONDS} s`;
      answerError(res, request.headers, new HttpError(503, 'busy', why, JOIN_RETRY_AFTER_SECONDS));
      return;
    }
    const body = method === 'GET' || method === 'HEAD' ? undefined : readBody(res, bodyHeaders(req), opts.maxBodyBytes);
    if (joining) gate.pending += 1;
    const done = joining ? () => (gate.pending -= 1) : undefined;
    serve(res, router, request, body, opts.maxOptionsDepth, done);
  });
}

interface PendingRequest {
  method: string;
  url: string;
  headers: Headers;
  /** The TCP peer's address. */
  peer: string;
}

function serve(
  res: HttpResponse,
  router: Router,
  request: PendingRequest,
  body: Promise<Buffer> | undefined,
  maxDepth: number,
  done?: () => void,
): void {
  const abort = new AbortController();
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
    abort.abort();
  });
  const headers = request.headers;
  // The matchmaker's per-address limits read the client address from these: never from what the client sent.
  headers.delete('x-forwarded-for');
  headers.set('x-real-ip', request.peer);
  void (async () => {
    const init: RequestInit = { method: request.method, headers, signal: abort.signal };
    if (body) {
      const bytes = await body;
      const problem = bytes.byteLength > 0 ? optionsProblem(parseJson(bytes), maxDepth) : undefined;
      if (problem) throw new HttpError(400, 'bad_options', `matchmaking options ${problem}`);
      headers.set('content-type', 'application/json'); // what was accepted as JSON is read as JSON
      init.body = bytes.byteLength > 0 ? new Uint8Array(bytes) : '{}';
    }
    const response = await router.handler(new Request(request.url, init));
    const responseBody = await response.arrayBuffer(); // read before corking: the cork callback is synchronous
    if (aborted) return;
    res.cork(() => {
      res.writeStatus(`${response.status} ${response.statusText || STATUS[response.status] || ''}`.trim());
      writeCors(res, headers);
      response.headers.forEach((value, key) => {
        if (key.toLowerCase() !== 'content-length') res.writeHeader(key, value);
      });
      res.end(responseBody);
    });
  })()
    .catch((err: unknown) => {
      if (!aborted) answerError(res, headers, err);
    })
    .finally(done);
}

/** In Colyseus's error shape (`{code, error}`, as the SDK reads it), with the reason's code in front. */
function answerError(res: HttpResponse, headers: Headers, err: unknown): void {
  const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error');
  res.cork(() => {
    res.writeStatus(STATUS[e.status] ?? `${e.status}`);
    writeCors(res, headers);
    if (e.retryAfterSeconds !== undefined) res.writeHeader('retry-after', String(e.retryAfterSeconds));
    res
      .writeHeader('content-type', 'application/json')
      .end(JSON.stringify({ code: e.status, error: `${e.code}: ${e.message}` }));
  });
}

function requestHeaders(req: HttpRequest): Headers {
  const headers = new Headers();
  req.forEach((key, value) => {
    headers.set(key, value);
  });
  return headers;
}

function writeCors(res: HttpResponse, requestHeaders: Headers): void {
  const cors = {
    ...matchMaker.controller.DEFAULT_CORS_HEADERS,
    ...matchMaker.controller.getCorsHeaders(requestHeaders),
  };
  for (const [key, value] of Object.entries(cors)) res.writeHeader(key, String(value));
}
