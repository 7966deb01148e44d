import { type IRoomCache, initializeRoomCache } from '@colyseus/core';
import { decodeStateKey, encodeStateKey, parseBoundedJson } from '../../objects/internal.ts';

/** A decoded listing, or why the bytes are not one. */
export type Decoded = { readonly room: IRoomCache } | { readonly error: string };

const encoder = new TextEncoder();
/** Listings are read by every node on every change: far bigger ones are not listings of ours. */
const MAX_LISTING_BYTES = 64 * 1024;
/** Metadata is copied for every caller (structuredClone) and compared by the matchmaker: keep it shallow. */
const MAX_METADATA_DEPTH = 32;

/** Any roomId becomes a valid, collision-free KV key (no dots or wildcards); the same escaping as object state. */
export function listingKey(roomId: string): string {
  return encodeStateKey(roomId);
}

/** The key of a roomId, or undefined for values that cannot be one (not a string, too long for a key). */
export function tryListingKey(roomId: unknown): string | undefined {
  if (typeof roomId !== 'string') return undefined;
  try {
    return encodeStateKey(roomId);
  } catch {
    return undefined;
  }
}

/**
 * JSON, like RedisDriver's layout. JSON has no Infinity, and `maxClients` is Infinity unless a room sets it, so it is
 * written as null and read back as Infinity; `createdAt` is written as its ISO string and read back as a Date. A
 * listing without one gets it here, once, so every node reads the same time.
 */
export function encodeListing(room: IRoomCache): Uint8Array {
  const maxClients = Number.isFinite(room.maxClients) ? room.maxClients : null;
  return encoder.encode(JSON.stringify({ ...room, maxClients, createdAt: room.createdAt ?? new Date() }));
}

/** Bytes from the bucket back into a listing, refusing anything that is not one stored under this key. */
export function decodeListing(key: string, data: Uint8Array): Decoded {
  const json = parseBoundedJson(data, MAX_LISTING_BYTES);
  if ('problem' in json) return { error: json.problem };
  const parsed = json.value;
  const problem = shapeProblem(parsed);
  if (problem) return { error: problem };
  const fields = parsed as Record<string, unknown> & Pick<IRoomCache, 'roomId'>;
  if (!keyNames(key, fields.roomId)) return { error: 'roomId does not match its key' };
  // initializeRoomCache fills the same defaults RedisDriver reads back (locked, private, unlisted, metadata...).
  const room = initializeRoomCache(fields as Partial<IRoomCache>);
  room.maxClients = fields.maxClients === null ? Number.POSITIVE_INFINITY : room.maxClients;
  // Its spread puts the stored string back over the Date it made; RedisDriver hands out that string, we a Date.
  room.createdAt = toDate(fields.createdAt);
  return { room };
}

/** A copy through the wire format: exactly what other nodes read for this listing. */
export function normalizeListing(room: IRoomCache): { readonly data: Uint8Array; readonly room: IRoomCache } {
  const data = encodeListing(room);
  const decoded = decodeListing(listingKey(room.roomId), data);
  if ('error' in decoded) throw new TypeError(`room listing ${room.roomId} cannot be stored: ${decoded.error}`);
  return { data, room: decoded.room };
}

function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const fields = value as Record<string, unknown>;
  // Their length is bounded by the listing's; roomId's also by the key it must match. The matchmaker finds rooms
  // by name; processId only ties a listing to its process for cleanup, and Colyseus's own drivers store none too.
  for (const name of ['name', 'roomId'] as const) {
    if (typeof fields[name] !== 'string') return `${name} is not a string`;
  }
  if (fields.processId !== undefined && typeof fields.processId !== 'string') return 'processId is not a string';
  // Counts move by $inc, which may pass below zero for a moment; only non-integers and absurd values are refused.
  // Absent, they take initializeRoomCache's defaults (0 clients, no limit), as on Colyseus's own drivers.
  if (fields.clients !== undefined && !Number.isSafeInteger(fields.clients)) return 'clients is not an integer';
  if (fields.maxClients != null && !Number.isSafeInteger(fields.maxClients)) return 'maxClients is not an integer';
  for (const name of ['locked', 'private', 'unlisted'] as const) {
    if (fields[name] !== undefined && typeof fields[name] !== 'boolean') return `${name} is not a boolean`;
  }
  if (fields.publicAddress !== undefined && typeof fields.publicAddress !== 'string')
    return 'publicAddress is not a string';
  if (depth(fields.metadata, 0) > MAX_METADATA_DEPTH) return `metadata nests deeper than ${MAX_METADATA_DEPTH}`;
  return undefined;
}

/** How deep a parsed JSON value nests, counting no further than just past the limit. */
function depth(value: unknown, level: number): number {
  if (typeof value !== 'object' || value === null || level > MAX_METADATA_DEPTH) return level;
  let deepest = level + 1;
  for (const v of Object.values(value)) deepest = Math.max(deepest, depth(v, level + 1));
  return deepest;
}

function keyNames(key: string, roomId: string): boolean {
  try {
    return decodeStateKey(key) === roomId;
  } catch {
    return false;
  }
}

function toDate(value: unknown): Date {
  const date = typeof value === 'string' || typeof value === 'number' ? new Date(value) : new Date(Number.NaN);
  return Number.isNaN(date.getTime()) ? new Date() : date;
}
