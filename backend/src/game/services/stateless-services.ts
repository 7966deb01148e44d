// The game's services over the stateless twin's REST API (backend/baselines/stateless): what a node in stateless
// mode calls instead of objects. Instances keep nothing between requests, so calls go round-robin over them. Each
// call carries a short-lived token the node signs for the player with the secret the twin shares. Nothing the twin
// answers is trusted: a reply that is not the expected shape is an error, as a failed call is.
import { type LeaderboardEntry, levelFor, type Profile } from '@resident/shared/game';
import { z } from 'zod';
import type { GuestClaims, GuestTokens } from '../auth/guest-tokens.ts';
import { entrySchema, TOP_N } from '../objects/leaderboard.ts';
import { JOIN_CALL_MS, Player, playerId } from '../objects/player.ts';
import type { GameServices } from './game-services.ts';

/** A call to the twin that failed, timed out or was answered with something else than the route promises. */
export class StatelessServiceError extends Error {
  override name = 'StatelessServiceError';
  constructor(
    message: string,
    /** The instance called, for the node's log (the message, which a client may see, does not name it). */
    readonly instance: string,
    /** The twin's status and code, when it answered with an error. */
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

const count = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const profileSchema = z.object({
  id: playerId,
  name: z.string().max(64),
  color: z.int().min(0).max(0xffffff),
  xp: count,
  level: count,
  gamesPlayed: count,
  bestMass: z.number().min(0).max(Number.MAX_SAFE_INTEGER),
  totalEats: count,
  node: z.string().max(128),
});
const topSchema = z.array(entrySchema).max(TOP_N);
const submitSchema = z.object({ improved: z.boolean() });

const CALL_MS = 5000;
/** The largest reply read: a top of 100 entries is about 10 KB. */
const MAX_REPLY_BYTES = 256 * 1024;
/** The tokens the node signs for its calls live this long: enough for one call, useless if they leak. */
const CALL_TOKEN_TTL_MS = 60_000;

interface Call<T> {
  method: 'GET' | 'POST';
  path: string;
  player?: GuestClaims;
  body?: unknown;
  /** The reply's shape; undefined: no body (204). */
  reply?: z.ZodType<T>;
  timeoutMs?: number;
}

export class StatelessServices implements GameServices {
  readonly kind = 'stateless';
  private next = 0;

  /** `urls`: the twin's instances (http://host:port); `tokens`: signs with the secret the twin verifies. */
  constructor(
    private readonly urls: readonly string[],
    private readonly tokens: GuestTokens,
  ) {
    if (urls.length === 0) throw new Error('StatelessServices needs at least one URL');
  }

  enter(player: GuestClaims): Promise<Profile> {
    return this.profileCall({ method: 'POST', path: '/api/enter', player, timeoutMs: JOIN_CALL_MS });
  }

  async profile(player: GuestClaims): Promise<Profile> {
    try {
      return await this.profileCall({ method: 'GET', path: '/api/profile', player });
    } catch (err) {
      // Before its first game the twin has no row for the player, where a Player object starts from its initial state.
      if (!(err instanceof StatelessServiceError && err.code === 'unknown_player')) throw err;
      return { id: player.sub, ...Player.initial(player.sub), level: levelFor(0), node: '' };
    }
  }

  async keepAlive(): Promise<void> {}

  async grant(player: GuestClaims, xp: number, eats: number): Promise<void> {
    await this.call({ method: 'POST', path: '/api/grant', player, body: { xp, eats } });
  }

  recordGame(player: GuestClaims, result: { mass: number; eats: number; xp: number }): Promise<Profile> {
    return this.profileCall({ method: 'POST', path: '/api/games', player, body: result });
  }

  async submitScore(player: GuestClaims, bestMass: number): Promise<boolean> {
    const body = { id: player.sub, name: player.name, bestMass };
    return (await this.call({ method: 'POST', path: '/api/leaderboard', player, body, reply: submitSchema })).improved;
  }

  top(): Promise<LeaderboardEntry[]> {
    return this.call({ method: 'GET', path: '/api/leaderboard', reply: topSchema });
  }

  /** A profile, and the player's own: a twin that answers with another player's is wrong, not trusted. */
  private profileCall(call: Omit<Call<Profile>, 'reply'> & { player: GuestClaims }): Promise<Profile> {
    const own = profileSchema.refine((p) => p.id === call.player.sub, 'the profile of another player');
    return this.call({ ...call, reply: own });
  }

  private async call<T>(call: Call<T>): Promise<T> {
    const base = this.urls[this.next++ % this.urls.length]!;
    const what = `${call.method} ${call.path}`;
    let res: Response;
    try {
      res = await fetch(base + call.path, {
        method: call.method,
        headers: this.headers(call),
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        signal: AbortSignal.timeout(call.timeoutMs ?? CALL_MS),
      });
    } catch (err) {
      throw new StatelessServiceError(`${what} failed: ${(err as Error).message}`, base);
    }
    return readReply({ what, base }, res, call.reply);
  }

  private headers(call: Call<unknown>): Record<string, string> {
    const headers: Record<string, string> = {};
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.player) {
      const token = this.tokens.access(call.player.sub, call.player.name, CALL_TOKEN_TTL_MS);
      headers.authorization = `Bearer ${token}`;
    }
    return headers;
  }
}

async function readReply<T>(
  { what, base }: { what: string; base: string },
  res: Response,
  schema: z.ZodType<T> | undefined,
): Promise<T> {
  const text = await readCapped(res, MAX_REPLY_BYTES).catch((err: unknown) => {
    throw new StatelessServiceError(`${what}: ${(err as Error).message}`, base);
  });
  if (!res.ok) {
    const { message, code } = errorOf(text);
    throw new StatelessServiceError(`${what} answered ${res.status}: ${message}`, base, res.status, code);
  }
  if (!schema) return undefined as T;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new StatelessServiceError(`${what}: the reply is not JSON`, base);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = `${issue?.path.join('.') || 'body'}: ${issue?.message}`;
    throw new StatelessServiceError(`${what}: unexpected reply (${where})`, base);
  }
  return parsed.data;
}

/** The body as text, or an error once it passes `max` bytes (a reply is never read whole past that). */
async function readCapped(res: Response, max: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > max) throw new RangeError(`the reply is over ${max} bytes`);
      chunks.push(chunk);
    }
  } catch (err) {
    await res.body?.cancel().catch(() => undefined);
    throw err instanceof RangeError ? err : new Error(`the reply broke off: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The twin's `{ error, code }`, or the start of whatever else came back. */
function errorOf(text: string): { message: string; code?: string } {
  try {
    const { error, code } = JSON.parse(text) as { error?: unknown; code?: unknown };
    if (typeof error === 'string' && typeof code === 'string')
      return { message: `${code}: ${error.slice(0, 200)}`, code };
  } catch {}
  return { message: JSON.stringify(text.slice(0, 200)) };
}
