// Guest tokens: `base64url(payload).base64url(HMAC-SHA256(payload))`. Stateless, so any node verifies any token
// as long as the nodes share the secret. Two kinds, signed with different keys so neither passes for the other:
// the access token (rooms, /api/profile; it travels in WebSocket URLs, so it lives 7 days) and the refresh secret,
// which the page keeps and sends only to POST /api/guest for a new pair. Neither is accepted once expired.
// Revocation: rotating the secret ends every token and refresh secret at once.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface GuestClaims {
  /** Player id: the key of the player's Player object. */
  sub: string;
  name: string;
  /** Expiry, ms since epoch. */
  exp: number;
}

interface RefreshClaims {
  sub: string;
  exp: number;
}

export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    readonly code: 'missing_token' | 'bad_token' | 'expired_token',
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_TOKEN_TTL_MS = 7 * 24 * 3600_000;
/** A refresh secret not used for this long dies; each use gives a new one. */
export const DEFAULT_REFRESH_TTL_MS = 30 * 24 * 3600_000;

type Kind = 'access' | 'refresh';

export interface IssuedTokens {
  token: string;
  claims: GuestClaims;
  refresh: string;
}

export class GuestTokens {
  private readonly keys: Record<Kind, Buffer>;

  constructor(
    secret: string,
    private readonly ttlMs = DEFAULT_TOKEN_TTL_MS,
    private readonly refreshTtlMs = DEFAULT_REFRESH_TTL_MS,
  ) {
    // Access tokens keep the plain secret as their key, so tokens issued before refresh secrets existed still verify.
    this.keys = {
      access: Buffer.from(secret),
      refresh: createHmac('sha256', secret).update('resident refresh').digest(),
    };
  }

  static newPlayerId(): string {
    return randomBytes(12).toString('base64url');
  }

  /** A new access token and refresh secret for this player. */
  issue(playerId: string, name: string, now = Date.now()): IssuedTokens {
    const claims: GuestClaims = { sub: playerId, name, exp: now + this.ttlMs };
    const refresh: RefreshClaims = { sub: playerId, exp: now + this.refreshTtlMs };
    return { token: this.seal('access', claims), claims, refresh: this.seal('refresh', refresh) };
  }

  /** An access token alone, living `ttlMs`: what a node signs to call a service on the player's behalf. */
  access(playerId: string, name: string, ttlMs: number, now = Date.now()): string {
    return this.seal('access', { sub: playerId, name, exp: now + ttlMs } satisfies GuestClaims);
  }

  /** The access token's claims, or AuthError saying why it is refused. */
  verify(token: unknown, now = Date.now()): GuestClaims {
    const claims = this.open('access', token, now);
    if (typeof claims.name !== 'string') throw malformed();
    return claims as GuestClaims;
  }

  /** The player a refresh secret belongs to, or AuthError saying why it is refused. */
  verifyRefresh(refresh: unknown, now = Date.now()): string {
    return this.open('refresh', refresh, now).sub;
  }

  private seal(kind: Kind, claims: object): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${this.sign(kind, payload)}`;
  }

  private open(kind: Kind, token: unknown, now: number): RefreshClaims & { name?: unknown } {
    if (typeof token !== 'string' || token.length === 0) throw new AuthError('missing_token', 'no token: log in first');
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined || !this.signatureMatches(kind, payload, signature)) {
      throw new AuthError('bad_token', 'token signature is not valid');
    }
    const claims = parseClaims(payload);
    if (claims.exp <= now) throw new AuthError('expired_token', 'token has expired: log in again');
    return claims;
  }

  private sign(kind: Kind, payload: string): string {
    return createHmac('sha256', this.keys[kind]).update(payload).digest('base64url');
  }

  private signatureMatches(kind: Kind, payload: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(kind, payload));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

function malformed(): AuthError {
  return new AuthError('bad_token', 'token payload is malformed');
}

function parseClaims(payload: string): RefreshClaims & { name?: unknown } {
  try {
    const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<GuestClaims>;
    if (typeof c.sub === 'string' && typeof c.exp === 'number') return c as RefreshClaims;
  } catch {
    // falls through to the error below
  }
  throw malformed();
}
