// A test player: guest login over HTTP, then the real Colyseus SDK to join rooms.
import { Client, type Room } from '@colyseus/sdk';
import type { GuestLoginResponse } from '@resident/shared/game';

export async function guestLogin(url: string, name: string, token?: string): Promise<GuestLoginResponse> {
  const res = await fetch(`${url}/api/guest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(token ? { name, token } : { name }),
  });
  const body = (await res.json()) as GuestLoginResponse & { error?: string };
  if (!res.ok) throw new Error(`guest login failed (${res.status}): ${body.error}`);
  return body;
}

export function sdkClient(url: string, token: string): Client {
  const client = new Client(url);
  client.auth.token = token;
  return client;
}

/** Logs in and joins the arena (quick play). */
export async function joinArena(url: string, name: string, options: Record<string, unknown> = {}): Promise<Room> {
  const { token } = await guestLogin(url, name);
  return sdkClient(url, token).joinOrCreate('arena', options);
}
