// The game's HTTP API: guest login, the player's own profile, the global leaderboard and the lobby's room list.
// Thin: each route checks its input, then calls the game's services (objects, or the stateless twin) or the
// matchmaker.

import type { TemplatedApp } from 'uWebSockets.js';
import { matchMaker } from '@colyseus/core';
import {
  ARENA_ROOM,
  checkName,
  type GuestLoginRequest,
  type GuestLoginResponse,
  type NodeSummary,
  type RoomSummary,
} from '@resident/shared/game';
import type { Logger } from 'pino';
import { type GameServices, GuestTokens, KeyedBuckets, StatelessServiceError } from '../game/index.ts';
import { bearerToken, unauthorized, verifyGuest } from './guest-auth.ts';
import { HttpError, readJsonBody, replyJson, writeCors } from './http-json.ts';

export interface ApiOptions {
  services: GameServices;
  tokens: GuestTokens;
  /** The serving nodes of the cluster (this one alone when embedded). */
  nodes: () => NodeSummary[];
  /** Guest logins per second per client address (burst 10×). */
  loginRate: number;
  /** Largest request body in bytes. */
  maxBodyBytes: number;
  log: Logger;
}

export function registerApi(app: TemplatedApp, opts: ApiOptions): void {
  app.options('/api/*', (res) => {
    writeCors(res.writeStatus('204 No Content')).end();
  });
  const limiter = new KeyedBuckets(opts.loginRate, opts.loginRate * 10);
  const servicesFailed = failedServices(opts.log);
  app.post('/api/guest', (res, req) => {
    const allowed = limiter.take(Buffer.from(res.getRemoteAddressAsText()).toString());
    const body = readJsonBody(res, req, opts.maxBodyBytes);
    replyJson(res, async () => {
      if (!allowed)
        throw new HttpError(429, 'too_many_logins', 'too many guest logins from this address; retry shortly');
      return guestLogin(opts, await body).catch(servicesFailed);
    });
  });
  app.get('/api/profile', (res, req) => {
    const token = bearerToken(req.getHeader('authorization'));
    replyJson(res, () => profileOf(opts, token).catch(servicesFailed));
  });
  app.get('/api/leaderboard', (res) => replyJson(res, () => opts.services.top().catch(servicesFailed)));
  app.get('/api/rooms', (res) => replyJson(res, listRooms));
  app.get('/api/nodes', (res) => replyJson(res, async () => opts.nodes()));
}

/**
 * A new guest gets a token only: its Player object is created when it first joins a room, so logins alone cannot
 * fill memory or storage. A returning guest keeps its player (renamed if it chose a new name) by showing its
 * refresh secret or a still-valid token; an expired one is refused (401), so a stolen token dies with its expiry.
 */
async function guestLogin(opts: ApiOptions, body: unknown): Promise<GuestLoginResponse> {
  const { name: rawName, token, refresh } = (body ?? {}) as { [K in keyof GuestLoginRequest]?: unknown };
  const checked = checkName(rawName);
  if ('error' in checked) throw new HttpError(400, 'bad_name', checked.error);
  const player = returningPlayer(opts.tokens, refresh, token);
  const id = player ?? GuestTokens.newPlayerId();
  const issued = opts.tokens.issue(id, checked.name);
  if (player) await opts.services.enter(issued.claims);
  const expiresAt = issued.claims.exp;
  return { token: issued.token, refresh: issued.refresh, playerId: id, name: checked.name, expiresAt };
}

/** The player a refresh secret or a still-valid token belongs to; undefined for a new guest; 401 when refused. */
function returningPlayer(tokens: GuestTokens, refresh: unknown, token: unknown): string | undefined {
  try {
    if (refresh !== undefined) return tokens.verifyRefresh(refresh);
  } catch (err) {
    throw unauthorized(err);
  }
  return token === undefined ? undefined : verifyGuest(tokens, token).sub;
}

/** The stateless twin failing is a bad gateway to the browser; which instance and why goes to the node's log. */
function failedServices(log: Logger): (err: unknown) => never {
  return (err) => {
    if (!(err instanceof StatelessServiceError)) throw err;
    log.warn({ err: err.message, instance: err.instance }, 'game services call failed');
    throw new HttpError(502, 'services_unavailable', 'the game services did not answer; retry shortly');
  };
}

/** Before its first game a player's object has no name yet: the token's name stands in. */
async function profileOf(opts: ApiOptions, token: string | undefined) {
  const claims = verifyGuest(opts.tokens, token);
  const profile = await opts.services.profile(claims);
  return { ...profile, name: profile.name || claims.name };
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
