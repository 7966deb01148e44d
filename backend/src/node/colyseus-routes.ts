// Colyseus's HTTP routes (matchmaking, `/__healthcheck`, `/`) on the node's uWS app. It replaces the 0.18 uWS
// transport's own bridge, which concatenates request bodies without a limit before onAuth runs and leaves a
// request without a route (TRACE, PROPFIND, …) unanswered and without a timeout. Here a body is bounded and
// refused (413, 415) before it is buffered, matchmaking options are bounded in depth, every other request is
// answered by `unrouted`, and the matchmaker sees the client's real address. Joins in progress are bounded: the
// matchmaking requests in flight and the seats handed out whose clients have not joined yet. Past the bound a join
// storm is refused at once with 503 and Retry-After, before its body is read, so seats handed out cannot pile up
// faster than their clients join and expire unjoined.

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { type AuthContext, createAuthContext, matchMaker, type Router } from '@colyseus/core';
import { optionsProblem } from '../colyseus/rooms/resident-room.ts';
import { bodyHeaders, HttpError, parseJson, readBody, STATUS } from './http-json.ts';

export interface ColyseusRouteOptions {
  maxBodyBytes: number;
  maxOptionsDepth: number;
  /**
   * Joins in progress this node allows (matchmaking requests in flight plus seats awaiting their join); more
   * matchmaking requests are refused with 503 and Retry-After.
   */
  maxPendingJoins: number;
  /** How the rooms count seats awaiting their join; without it only requests in flight count. */
  joins?: JoinAccounting;
  /** Answers a request that neither Colyseus nor the node's own routes take (404, or 405 with Allow). */
  unrouted: (res: HttpResponse, req: HttpRequest, colyseusMethods: string[]) => void;
}

/** The rooms' count of seats handed out here (by their onAuth) whose clients have not joined yet. */
export interface JoinAccounting {
  awaiting(): number;
  /** Matchmaking answered: the seat it handed out, with the process hosting its room, or none (it failed). */
  answered(context: AuthContext, seat: { processId?: unknown } | undefined): void;
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
      path: url,
      url: `http://${req.getHeader('host') || 'localhost'}${url}${req.getQuery() ? `?${req.getQuery()}` : ''}`,
      headers: requestHeaders(req),
      peer: Buffer.from(res.getRemoteAddressAsText()).toString(),
    };
    const joining = method === 'POST' && url.startsWith('/matchmake/');
    const awaiting = joining ? (opts.joins?.awaiting() ?? 0) : 0;
    if (joining && gate.pending + awaiting >= opts.maxPendingJoins) {
      const why = `${gate.pending} matchmaking requests in flight and ${awaiting} seats awaiting their join on this node; retry in ${JOIN_RETRY_AFTER_SECONDS} s`;
      answerError(res, request.headers, new HttpError(503, 'busy', why, JOIN_RETRY_AFTER_SECONDS));
      return;
    }
    const body = method === 'GET' || method === 'HEAD' ? undefined : readBody(res, bodyHeaders(req), opts.maxBodyBytes);
    if (joining) gate.pending += 1;
    const done = joining ? () => (gate.pending -= 1) : undefined;
    serve(res, router, request, body, opts, done);
  });
}

interface PendingRequest {
  method: string;
  url: string;
  /** The URL's path, as received (not decoded). */
  path: string;
  headers: Headers;
  /** The TCP peer's address. */
  peer: string;
}

function serve(
  res: HttpResponse,
  router: Router,
  request: PendingRequest,
  body: Promise<Buffer> | undefined,
  opts: ColyseusRouteOptions,
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
    const options = body ? boundedOptions(await body, opts.maxOptionsDepth) : undefined;
    const matchmake = request.method === 'POST' ? MATCHMAKE_PATH.exec(request.path) : null;
    const answer = matchmake
      ? await invokeMatchmaker(pathParam(matchmake[1]!), pathParam(matchmake[2]!), options, request, opts.joins)
      : await viaRouter(router, request, options, abort.signal);
    if (aborted) return;
    res.cork(() => {
      res.writeStatus(STATUS[answer.status] ?? String(answer.status));
      writeCors(res, headers);
      for (const [key, value] of answer.headers) res.writeHeader(key, value);
      res.end(answer.body);
    });
  })()
    .catch((err: unknown) => {
      if (!aborted) answerError(res, headers, err);
    })
    .finally(done);
}

/** A reply ready to write: the cork callback that writes it must be synchronous. */
interface Answer {
  status: number;
  headers: [string, string][];
  body: string | ArrayBuffer;
}

/** Colyseus's matchmaking route, `POST /matchmake/:method/:roomName`. */
const MATCHMAKE_PATH = /^\/matchmake\/([^/]+)\/([^/]+)$/;
const JSON_HEADERS: [string, string][] = [['content-type', 'application/json']];

function boundedOptions(bytes: Buffer, maxDepth: number): unknown {
  if (bytes.byteLength === 0) return {};
  const options = parseJson(bytes);
  const problem = optionsProblem(options, maxDepth);
  if (problem) throw new HttpError(400, 'bad_options', `matchmaking options ${problem}`);
  return options;
}

/**
 * What Colyseus's own matchmaking route does (its default_routes), without building a WHATWG Request and Response
 * around it: those, and the router's body stream, cost about a tenth of a node's CPU per join in a join ramp's
 * profile. Other routes still go through the router. The auth context's `req` carries the request's method, URL and
 * headers.
 */
function pathParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'bad_path', `not a valid URL-encoded path segment: ${raw.slice(0, 64)}`);
  }
}

async function invokeMatchmaker(
  method: string,
  room: string,
  options: unknown,
  request: PendingRequest,
  joins: JoinAccounting | undefined,
) {
  if (matchMaker.state === matchMaker.MatchMakerState.SHUTTING_DOWN) {
    return { status: 503, headers: JSON_HEADERS, body: JSON.stringify({ code: 503, error: 'shutting down' }) };
  }
  const { headers } = request;
  const context = createAuthContext({ headers, req: { method: 'POST', url: request.url, headers } as never });
  try {
    // Colyseus adds the transport's `protocol`/`fingerprint` here for WebTransport; the uWS transport has neither.
    const seat = await matchMaker.controller.invokeMethod(method, room, options ?? {}, context);
    joins?.answered(context, seat);
    return { status: 200, headers: JSON_HEADERS, body: JSON.stringify(seat) } satisfies Answer;
  } catch (err) {
    joins?.answered(context, undefined);
    // Colyseus answers its ServerError codes (52x) as the HTTP status, with the code and message in the body.
    const { code, message } = err as { code?: unknown; message?: unknown };
    const status = typeof code === 'number' && code >= 400 && code <= 599 ? code : 500;
    const error = status === 500 && typeof code !== 'number' ? 'internal error' : String(message);
    return { status, headers: JSON_HEADERS, body: JSON.stringify({ code: code ?? status, error }) } satisfies Answer;
  }
}

async function viaRouter(router: Router, request: PendingRequest, options: unknown, signal: AbortSignal) {
  const init: RequestInit = { method: request.method, headers: request.headers, signal };
  if (options !== undefined) {
    request.headers.set('content-type', 'application/json'); // what was accepted as JSON is read as JSON
    init.body = JSON.stringify(options);
  }
  const response = await router.handler(new Request(request.url, init));
  const headers: [string, string][] = [];
  response.headers.forEach((value, key) => {
    if (key.toLowerCase() !== 'content-length') headers.push([key, value]);
  });
  return { status: response.status, headers, body: await response.arrayBuffer() } satisfies Answer;
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
