// The guest identity kept in localStorage, so a reload (or a new tab) is the same player.
import type { GuestLoginRequest, GuestLoginResponse } from '@resident/shared/game';
import { guestLogin } from './api.ts';

const KEY = 'resident.guest';

export interface Guest {
  token: string;
  /** Renews the token for the same player; sent only to POST /api/guest. Absent in guests saved before it existed. */
  refresh?: string;
  playerId: string;
  name: string;
  expiresAt: number;
}

export function savedGuest(): Guest | undefined {
  try {
    // Kept even when the token expired: the refresh secret renews it for the same player.
    return (JSON.parse(localStorage.getItem(KEY) ?? 'null') as Guest | null) ?? undefined;
  } catch {
    return undefined;
  }
}

/** What proves a saved guest is the same player: its refresh secret, else its token while that is still valid. */
function returning(old: Guest | undefined): GuestLoginRequest | Record<string, never> {
  if (old?.refresh) return { name: old.name, refresh: old.refresh };
  if (old && old.expiresAt > Date.now()) return { name: old.name, token: old.token };
  return {};
}

/** Logs in as `name`, keeping the same player when a guest is saved; stores the result. */
export async function signIn(name: string): Promise<Guest> {
  const res: GuestLoginResponse = await guestLogin({ ...returning(savedGuest()), name });
  const guest: Guest = {
    token: res.token,
    refresh: res.refresh,
    playerId: res.playerId,
    name: res.name,
    expiresAt: res.expiresAt,
  };
  localStorage.setItem(KEY, JSON.stringify(guest));
  return guest;
}

export function signOut(): void {
  localStorage.removeItem(KEY);
}
