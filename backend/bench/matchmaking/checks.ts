// What the matchmaking benchmark checks after its joins: rooms no fuller than their seats, and listings that agree
// with the rooms the clients are in.
import type { IRoomCache } from '@colyseus/core';

export interface RoomCheck {
  /** Distinct rooms the clients are in. */
  readonly rooms: number;
  /** Room sizes as "count×size", largest first, e.g. "40×50". */
  readonly shape: string;
  /** Rooms holding more clients than seats: roomId → clients. */
  readonly overfilled: ReadonlyMap<string, number>;
  /** Disagreements between the stored listings and the clients, one line each. */
  readonly listingIssues: readonly string[];
}

export function checkRooms(
  sizes: ReadonlyMap<string, number>,
  listings: readonly IRoomCache[],
  seats: number,
): RoomCheck {
  const overfilled = new Map([...sizes].filter(([, n]) => n > seats));
  return { rooms: sizes.size, shape: shapeOf(sizes), overfilled, listingIssues: listingIssues(sizes, listings, seats) };
}

function shapeOf(sizes: ReadonlyMap<string, number>): string {
  const bySize = new Map<number, number>();
  for (const n of sizes.values()) bySize.set(n, (bySize.get(n) ?? 0) + 1);
  return [...bySize]
    .sort((a, b) => b[0] - a[0])
    .map(([size, count]) => `${count}×${size}`)
    .join(', ');
}

function listingIssues(sizes: ReadonlyMap<string, number>, listings: readonly IRoomCache[], seats: number): string[] {
  const issues: string[] = [];
  const byId = new Map(listings.map((l) => [l.roomId, l]));
  for (const [roomId, n] of sizes) {
    const listing = byId.get(roomId);
    if (!listing) issues.push(`room ${roomId} (${n} clients) has no listing`);
    else if (listing.clients !== n) issues.push(`room ${roomId}: listing says ${listing.clients} clients, ${n} joined`);
    else if (n >= seats && !listing.locked) issues.push(`room ${roomId} is full (${n}) but its listing is unlocked`);
  }
  for (const listing of listings) {
    if (!sizes.has(listing.roomId))
      issues.push(`listing ${listing.roomId} (${listing.clients} clients) is a room no client is in`);
  }
  return issues;
}
