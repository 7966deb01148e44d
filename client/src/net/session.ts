// The guest identity kept in localStorage, so a reload (or a new tab) is the same player.
import type { GuestLoginResponse } from '@resident/shared/game';
import { guestLogin } from './api.ts';

const KEY = 'resident.guest';

export interface Guest {
  token: string;
  playerId: string;
  name: string;
  expiresAt: number;
}

export function savedGuest(): Guest | undefined {
  try {
    // Kept even when expired: the server renews a correctly signed token for the same player.
    return (JSON.parse(localStorage.getItem(KEY) ?? 'null') as Guest | null) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Logs in as `name`, keeping the same player when a token is saved; stores the result. */
export async function signIn(name: string): Promise<Guest> {
  const old = savedGuest();
  const res: GuestLoginResponse = await guestLogin(old ? { name, token: old.token } : { name });
  const guest = { token: res.token, playerId: res.playerId, name: res.name, expiresAt: res.expiresAt };
  localStorage.setItem(KEY, JSON.stringify(guest));
  return guest;
}

export function signOut(): void {
  localStorage.removeItem(KEY);
}
