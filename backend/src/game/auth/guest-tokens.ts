// Guest tokens: `base64url(payload).base64url(HMAC-SHA256(payload))`. Stateless, so any node verifies any token
// as long as the nodes share the secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface GuestClaims {
  /** Player id: the key of the player's Player object. */
  sub: string;
  name: string;
  /** Expiry, ms since epoch. */
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

export class GuestTokens {
  constructor(
    private readonly secret: string,
    private readonly ttlMs = DEFAULT_TOKEN_TTL_MS,
  ) {}

  static newPlayerId(): string {
    return randomBytes(12).toString('base64url');
  }

  issue(playerId: string, name: string, now = Date.now()): { token: string; claims: GuestClaims } {
    const claims: GuestClaims = { sub: playerId, name, exp: now + this.ttlMs };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${payload}.${this.sign(payload)}`, claims };
  }

  /** The token's claims, or AuthError saying why it is refused. */
  verify(token: unknown, now = Date.now()): GuestClaims {
    if (typeof token !== 'string' || token.length === 0) throw new AuthError('missing_token', 'no token: log in first');
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined || !this.signatureMatches(payload, signature)) {
      throw new AuthError('bad_token', 'token signature is not valid');
    }
    const claims = parseClaims(payload);
    if (claims.exp <= now) throw new AuthError('expired_token', 'token has expired: log in again');
    return claims;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }

  private signatureMatches(payload: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

function parseClaims(payload: string): GuestClaims {
  try {
    const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<GuestClaims>;
    if (typeof c.sub === 'string' && typeof c.name === 'string' && typeof c.exp === 'number') return c as GuestClaims;
  } catch {
    // falls through to the error below
  }
  throw new AuthError('bad_token', 'token payload is malformed');
}
