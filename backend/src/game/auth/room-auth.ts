// onAuth for the game's rooms: a valid, unexpired guest token within the player's and address's seat and room
// limits, or a clear refusal the client can show (the code, then the reason).
import { type AuthContext, ErrorCode, generateId, ServerError } from '@colyseus/core';
import type { GameContext } from '../context.ts';
import { AuthError, type GuestClaims, type GuestTokens } from './guest-tokens.ts';
import { LimitError, type SeatLedger } from './seat-ledger.ts';

/** HTTP status and client error code of a refusal for being over a limit. */
export const LIMIT_ERROR_CODE = 429;

/** What a seat carries from matchmaking to its room: the player, its address, and the seat's session id. */
export interface SeatClaims extends GuestClaims {
  /** Colyseus uses an onAuth result's `sessionId` as the seat's: so the ledger knows the seat it counted. */
  sessionId: string;
  /** The client's address (the TCP peer of its matchmaking request). */
  addr: string;
}

export function authenticate(tokens: GuestTokens, token: string): GuestClaims {
  try {
    return tokens.verify(token);
  } catch (err) {
    if (err instanceof AuthError) throw new ServerError(ErrorCode.AUTH_FAILED, `${err.code}: ${err.message}`);
    throw err;
  }
}

/** A matchmaking request's retries (joinOrCreate retries a full room) reuse its first seat's count. */
const seatOf = new WeakMap<AuthContext, string>();

/**
 * The static onAuth of the game's rooms: verifies the token, counts a room creation (`create` requests) and the
 * seat matchmaking is about to hand out, against the limits of this node.
 */
export function admit(game: GameContext, token: string, context: AuthContext | undefined): SeatClaims {
  const claims = authenticate(game.tokens, token);
  const addr = context?.ip ?? 'unknown';
  const { seats } = game;
  let sessionId = context ? seatOf.get(context) : undefined;
  try {
    if (!sessionId && matchmakeMethod(context) === 'create') seats.createRoom(claims.sub, addr);
    if (!sessionId) {
      sessionId = generateId();
      seats.reserve(sessionId, claims.sub, addr);
      if (context) seatOf.set(context, sessionId);
    }
  } catch (err) {
    throw limitRefusal(err);
  }
  return { ...claims, sessionId, addr };
}

/**
 * Matchmaking answered for `context`. Its seat counts here only if its room is on this node (`here`): from now on as
 * awaiting its client's join. A seat in a room elsewhere is counted by that node when its client joins, and a
 * failed request handed none out: this node stops counting those now, not when the reservation lapses.
 */
export function seatAnswered(seats: SeatLedger, context: AuthContext, here: boolean): void {
  const sessionId = seatOf.get(context);
  if (!sessionId) return;
  if (here) seats.handedOut(sessionId);
  else seats.release(sessionId);
}

/** The client joined a room on this node: its seat counts until it leaves (`releaseSeat`). */
export function holdSeat(
  seats: SeatLedger,
  client: { sessionId: string; auth?: Partial<SeatClaims> },
  check: boolean,
): void {
  const { sub, addr } = client.auth ?? {};
  if (!sub) return;
  try {
    seats.hold(client.sessionId, sub, addr ?? 'unknown', check);
  } catch (err) {
    throw limitRefusal(err);
  }
}

export function releaseSeat(seats: SeatLedger, client: { sessionId: string }): void {
  seats.release(client.sessionId);
}

function limitRefusal(err: unknown): unknown {
  return err instanceof LimitError ? new ServerError(LIMIT_ERROR_CODE, `${err.code}: ${err.message}`) : err;
}

/** `create`, `join`, … from the matchmaking request's URL (`/matchmake/<method>/<room>`). */
function matchmakeMethod(context: AuthContext | undefined): string | undefined {
  const url = (context?.req as { url?: unknown } | undefined)?.url;
  return typeof url === 'string' ? new URL(url).pathname.split('/')[2] : undefined;
}

/** The verified claims of a joined client (onAuth ran before it could join). */
export function claims(client: { auth?: GuestClaims }): GuestClaims {
  if (!client.auth) throw new Error('client has no verified guest token');
  return client.auth;
}
