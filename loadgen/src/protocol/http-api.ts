// The two HTTP calls before a bot's WebSocket: guest login and matchmaking (Colyseus's POST /matchmake route).

import type { GuestLoginResponse } from '@resident/shared/game';

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
  ) {
    super(message);
  }
}

export async function guestLogin(base: string, name: string, timeoutMs: number): Promise<GuestLoginResponse> {
  const body = await postJson(`${base}/api/guest`, { name }, undefined, timeoutMs, 'login');
  const res = body as Partial<GuestLoginResponse>;
  if (typeof res.token !== 'string' || typeof res.playerId !== 'string') {
    throw new StepError('login', `POST /api/guest answered without token/playerId: ${JSON.stringify(body)}`);
  }
  return res as GuestLoginResponse;
}

export async function joinOrCreate(base: string, room: string, token: string, timeoutMs: number) {
  const body = await postJson(`${base}/matchmake/joinOrCreate/${room}`, {}, token, timeoutMs, 'matchmake');
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
export async function reconnect(
  base: string,
  roomId: string,
  reconnectionToken: string,
  token: string,
  timeoutMs: number,
) {
  const url = `${base}/matchmake/reconnect/${encodeURIComponent(roomId)}`;
  return seatFrom(await postJson(url, { reconnectionToken }, token, timeoutMs, 'rejoin'), 'rejoin');
}

async function postJson(url: string, body: unknown, token: string | undefined, timeoutMs: number, kind: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const what = err instanceof Error && err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : cause;
    throw new StepError(kind, `POST ${url}: ${what ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new StepError(kind, `POST ${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
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
