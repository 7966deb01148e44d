// onAuth for the game's rooms: a valid, unexpired guest token, or a clear refusal the client can show.
import { ErrorCode, ServerError } from '@colyseus/core';
import { game } from '../context.ts';
import { AuthError, type GuestClaims } from './guest-tokens.ts';

export function authenticate(token: string): GuestClaims {
  try {
    return game().tokens.verify(token);
  } catch (err) {
    if (err instanceof AuthError) throw new ServerError(ErrorCode.AUTH_FAILED, `${err.code}: ${err.message}`);
    throw err;
  }
}

/** The verified claims of a joined client (onAuth ran before it could join). */
export function claims(client: { auth?: GuestClaims }): GuestClaims {
  if (!client.auth) throw new Error('client has no verified guest token');
  return client.auth;
}
