// The HTTP side of guest tokens: a bearer token from the Authorization header, verified, or a 401 saying why not.
// The node's API and the stateless baseline both answer with it, so a refused token reads the same on either.
import { AuthError, type GuestClaims, type GuestTokens } from '../game/auth/guest-tokens.ts';
import { HttpError } from './http-json.ts';

/** The token of an `Authorization: Bearer <token>` header; undefined for none or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

/** The token's claims, or a 401 saying why not. */
export function verifyGuest(tokens: GuestTokens, token: unknown): GuestClaims {
  try {
    return tokens.verify(token);
  } catch (err) {
    throw unauthorized(err);
  }
}

export function unauthorized(err: unknown): HttpError {
  return new HttpError(401, err instanceof AuthError ? err.code : 'bad_token', (err as Error).message);
}
