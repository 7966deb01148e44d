// The node's HTTP API (shapes in shared/game/protocol.ts). Any node answers for the whole cluster, so a request
// that cannot reach one node is tried on the next known one (the serving node may be the one that died).
import type {
  GuestLoginRequest,
  GuestLoginResponse,
  LeaderboardEntry,
  Profile,
  RoomSummary,
} from '@resident/shared/game';
import { knownEndpoints } from '../config.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let preferred = 0;

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const endpoints = knownEndpoints();
  let lastError: unknown;
  for (let i = 0; i < endpoints.length; i++) {
    const index = (preferred + i) % endpoints.length;
    let res: Response;
    try {
      res = await fetch(`${endpoints[index]}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
    } catch (err) {
      lastError = err; // unreachable node: try the next one
      continue;
    }
    preferred = index;
    const body = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (!res.ok) throw new ApiError(res.status, body.error ?? `${res.status} ${res.statusText}`);
    return body;
  }
  throw lastError instanceof Error ? lastError : new Error('no node reachable');
}

export function guestLogin(request: GuestLoginRequest): Promise<GuestLoginResponse> {
  return call('/api/guest', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
}

export function fetchProfile(token: string): Promise<Profile> {
  return call('/api/profile', { headers: { authorization: `Bearer ${token}` } });
}

export function fetchLeaderboard(): Promise<LeaderboardEntry[]> {
  return call('/api/leaderboard');
}

export function fetchRooms(): Promise<RoomSummary[]> {
  return call('/api/rooms');
}
