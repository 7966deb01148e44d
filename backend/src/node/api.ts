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
} from '@resident/shared/game';
import { AuthError, GuestTokens, Player, readTop } from '../game/index.ts';
import type { Refs } from '../objects/index.ts';
import { HttpError, readJsonBody, replyJson, writeCors } from './http-json.ts';

export interface ApiOptions {
  objects: Refs;
  tokens: GuestTokens;
  /** The serving nodes of the cluster (this one alone when embedded). */
  nodes: () => NodeSummary[];
}

const MAX_BODY = 4096;
const LEADERBOARD_CACHE_MS = 1000;

export function registerApi(app: TemplatedApp, opts: ApiOptions): void {
  app.options('/api/*', (res) => {
    writeCors(res.writeStatus('204 No Content')).end();
  });
  app.post('/api/guest', (res) => {
    const body = readJsonBody(res, MAX_BODY);
    replyJson(res, async () => guestLogin(opts, await body));
  });
  app.get('/api/profile', (res, req) => {
    const token = bearer(req);
    replyJson(res, () => opts.objects.get(Player, verify(opts.tokens, token).sub).profile());
  });
  const leaderboard = cached(LEADERBOARD_CACHE_MS, () => readTop(opts.objects));
  app.get('/api/leaderboard', (res) => replyJson(res, leaderboard));
  app.get('/api/rooms', (res) => replyJson(res, listRooms));
  app.get('/api/nodes', (res) => replyJson(res, async () => opts.nodes()));
}

async function guestLogin(opts: ApiOptions, body: unknown): Promise<GuestLoginResponse> {
  const { name: rawName, token } = (body ?? {}) as { name?: unknown; token?: unknown };
  const checked = checkName(rawName);
  if ('error' in checked) throw new HttpError(400, 'bad_name', checked.error);
  const playerId = token === undefined ? undefined : renewing(opts.tokens, token);
  const player = playerId ?? GuestTokens.newPlayerId();
  await opts.objects.get(Player, player).enter(checked.name);
  const issued = opts.tokens.issue(player, checked.name);
  return { token: issued.token, playerId: player, name: checked.name, expiresAt: issued.claims.exp };
}

/** A correctly signed token keeps its player even after it expired: the guest came back. */
function renewing(tokens: GuestTokens, token: unknown): string {
  try {
    return tokens.verify(token, 0).sub;
  } catch (err) {
    throw new HttpError(401, err instanceof AuthError ? err.code : 'bad_token', (err as Error).message);
  }
}

function verify(tokens: GuestTokens, token: string | undefined) {
  try {
    return tokens.verify(token);
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

function cached<T>(ms: number, load: () => Promise<T>): () => Promise<T> {
  let value: { at: number; data: Promise<T> } | undefined;
  return () => {
    if (!value || Date.now() - value.at > ms) {
      const data = load();
      value = { at: Date.now(), data };
      data.catch(() => {
        if (value?.data === data) value = undefined;
      });
    }
    return value.data;
  };
}
