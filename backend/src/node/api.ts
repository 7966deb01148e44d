// The game's HTTP API: guest login, the player's own profile, the global leaderboard and the lobby's room list.
// Thin: each route checks its input, then calls the game's objects or the matchmaker.

import type { HttpRequest, TemplatedApp } from 'uWebSockets.js';
import { matchMaker } from '@colyseus/core';
import {
  ARENA_ROOM,
  checkName,
  type GuestLoginResponse,
  type NodeSummary,
  type RoomSummary,
  TokenBucket,
} from '@resident/shared/game';
import { AuthError, cachedTop, GuestTokens, Player } from '../game/index.ts';
import type { Refs } from '../objects/index.ts';
import { HttpError, readJsonBody, replyJson, writeCors } from './http-json.ts';

export interface ApiOptions {
  objects: Refs;
  tokens: GuestTokens;
  /** The serving nodes of the cluster (this one alone when embedded). */
  nodes: () => NodeSummary[];
  /** Guest logins per second per client address (burst 10×). */
  loginRate: number;
}

const MAX_BODY = 4096;
/** A token that expired this long ago can still be renewed (a returning guest); older ones cannot. */
const RENEW_WITHIN_MS = 30 * 24 * 3600_000;

export function registerApi(app: TemplatedApp, opts: ApiOptions): void {
  app.options('/api/*', (res) => {
    writeCors(res.writeStatus('204 No Content')).end();
  });
  const limiter = new AddressLimiter(opts.loginRate);
  app.post('/api/guest', (res) => {
    const allowed = limiter.take(Buffer.from(res.getRemoteAddressAsText()).toString());
    const body = readJsonBody(res, MAX_BODY);
    replyJson(res, async () => {
      if (!allowed)
        throw new HttpError(429, 'too_many_logins', 'too many guest logins from this address; retry shortly');
      return guestLogin(opts, await body);
    });
  });
  app.get('/api/profile', (res, req) => {
    const token = bearer(req);
    replyJson(res, () => profileOf(opts, token));
  });
  app.get('/api/leaderboard', (res) => replyJson(res, () => cachedTop(opts.objects)));
  app.get('/api/rooms', (res) => replyJson(res, listRooms));
  app.get('/api/nodes', (res) => replyJson(res, async () => opts.nodes()));
}

/**
 * A new guest gets a token only: its Player object is created when it first joins a room, so logins alone cannot
 * fill memory or storage. A returning guest (old token) keeps its player, renamed if it chose a new name.
 */
async function guestLogin(opts: ApiOptions, body: unknown): Promise<GuestLoginResponse> {
  const { name: rawName, token } = (body ?? {}) as { name?: unknown; token?: unknown };
  const checked = checkName(rawName);
  if ('error' in checked) throw new HttpError(400, 'bad_name', checked.error);
  let player = GuestTokens.newPlayerId();
  if (token !== undefined) {
    player = verify(opts.tokens, token, Date.now() - RENEW_WITHIN_MS).sub;
    await opts.objects.get(Player, player).enter(checked.name);
  }
  const issued = opts.tokens.issue(player, checked.name);
  return { token: issued.token, playerId: player, name: checked.name, expiresAt: issued.claims.exp };
}

/** Before its first game a player's object has no name yet: the token's name stands in. */
async function profileOf(opts: ApiOptions, token: string | undefined) {
  const claims = verify(opts.tokens, token);
  const profile = await opts.objects.get(Player, claims.sub).profile();
  return { ...profile, name: profile.name || claims.name };
}

/** The token's claims, or a 401 saying why not; `now` earlier than the clock accepts recently expired tokens. */
function verify(tokens: GuestTokens, token: unknown, now = Date.now()) {
  try {
    return tokens.verify(token, now);
  } catch (err) {
    throw new HttpError(401, err instanceof AuthError ? err.code : 'bad_token', (err as Error).message);
  }
}

function bearer(req: HttpRequest): string | undefined {
  const header = req.getHeader('authorization');
  return header.startsWith('Bearer ') ? header.slice(7) : undefined;
}

async function listRooms(): Promise<RoomSummary[]> {
  const rooms = await matchMaker.query({ name: ARENA_ROOM });
  return rooms
    .filter((r) => !r.private)
    .map((r) => ({
      roomId: r.roomId,
      clients: r.clients,
      maxClients: r.maxClients,
      node: String((r.metadata as { node?: string } | undefined)?.node ?? r.processId),
      private: false,
    }));
}

/** Token buckets per client address, bounded: the oldest addresses are forgotten first. */
class AddressLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly rate: number) {}

  take(address: string): boolean {
    const now = Date.now();
    let bucket = this.buckets.get(address);
    if (!bucket) {
      if (this.buckets.size >= 10_000) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = new TokenBucket(this.rate, this.rate * 10, now);
      this.buckets.set(address, bucket);
    }
    return bucket.take(now);
  }
}
