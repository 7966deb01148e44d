// The two HTTP calls before a bot's WebSocket: guest login and matchmaking (Colyseus's POST /matchmake route).

import type { GuestLoginResponse } from '@resident/shared/game';
import { type Call, type HttpAnswer, post, TimeoutError } from './http-post.ts';

export type { Call } from './http-post.ts';

export interface SeatReservation {
  name: string;
  roomId: string;
  processId: string;
  sessionId: string;
  publicAddress?: string;
}

/** A failed step of a bot's join, with the step as the error kind (counted per kind in the metrics). */
export class StepError extends Error {
  constructor(
    readonly kind: string,
    message: string,
    /** Set when the server asked to retry (HTTP 429, or 503 with Retry-After): the wait it asked for, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The wait a 429 without a usable Retry-After gets, and a 503 whose Retry-After is not a delay or a date. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds (fractions accepted) or an HTTP-date (a past one means now).
 * Undefined when absent or unusable (garbage, a negative number): the caller picks the default.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  // Every HTTP-date form starts with the day's name; Date.parse alone takes "x 1" for a date in 2001.
  if (!/^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,? /i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The wait the server asked for, or undefined when this answer is not a request to retry. */
function retryRequest(status: number, header: string | undefined): number | undefined {
  if (status !== 429 && !(status === 503 && header !== undefined)) return undefined;
  return parseRetryAfter(header ?? null) ?? DEFAULT_RETRY_AFTER_MS;
}

export async function guestLogin(base: string, name: string, call: Call): Promise<GuestLoginResponse> {
  const body = await postJson(`${base}/api/guest`, { name }, undefined, call, 'login');
  const res = body as Partial<GuestLoginResponse>;
  if (typeof res.token !== 'string' || typeof res.playerId !== 'string') {
    throw new StepError('login', `POST /api/guest answered without token/playerId: ${JSON.stringify(body)}`);
  }
  return res as GuestLoginResponse;
}

export async function joinOrCreate(base: string, room: string, token: string, call: Call) {
  const body = await postJson(`${base}/matchmake/joinOrCreate/${room}`, {}, token, call, 'matchmake');
  return seatFrom(body, 'matchmake');
}

function seatFrom(body: unknown, kind: string): SeatReservation {
  const seat = body as Partial<SeatReservation>;
  if (typeof seat.roomId !== 'string' || typeof seat.sessionId !== 'string' || typeof seat.processId !== 'string') {
    throw new StepError(kind, `matchmake answered without a seat: ${JSON.stringify(body).slice(0, 200)}`);
  }
  return seat as SeatReservation;
}

/** A seat back in a room that moved (its node died or drained), by the reconnection token its JOIN_ROOM gave. */
export async function reconnect(base: string, roomId: string, reconnectionToken: string, token: string, call: Call) {
  const url = `${base}/matchmake/reconnect/${encodeURIComponent(roomId)}`;
  return seatFrom(await postJson(url, { reconnectionToken }, token, call, 'rejoin'), 'rejoin');
}

async function postJson(url: string, body: unknown, token: string | undefined, call: Call, kind: string) {
  let res: HttpAnswer;
  try {
    res = await post(new URL(url), JSON.stringify(body), token, call);
  } catch (err) {
    const what = err instanceof TimeoutError ? `timed out after ${call.timeoutMs} ms` : (err as { code?: string }).code;
    throw new StepError(kind, `POST ${url}: ${what ?? (err as Error).message}`);
  }
  const { status, text } = res;
  if (status < 200 || status > 299) {
    throw new StepError(
      kind,
      `POST ${url}: HTTP ${status} ${text.slice(0, 200)}`,
      retryRequest(status, res.retryAfter),
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new StepError(kind, `POST ${url}: not JSON: ${text.slice(0, 200)}`);
  }
}

/** The WebSocket path for a seat, with the token as the SDK sends it (`_authToken`), for rooms that check it there. */
export function seatPath(seat: SeatReservation, token: string, reconnectionToken?: string): string {
  const again = reconnectionToken ? `&reconnectionToken=${encodeURIComponent(reconnectionToken)}` : '';
  return `/${seat.processId}/${seat.roomId}?sessionId=${encodeURIComponent(seat.sessionId)}${again}&_authToken=${encodeURIComponent(token)}`;
}
