import type { IRoomCache, SortOptions } from '@colyseus/core';

/** What the matchmaker passes to query/findOne: listing fields and metadata keys, matched by equality. */
export type Conditions = Readonly<Record<string, unknown>>;

type Order = readonly (readonly [field: string, direction: 1 | -1])[];

/**
 * A condition names a listing field if the listing has it as its own property, else a metadata key; a field in
 * neither never matches. Equality is `===`. This is what LocalDriver and RedisDriver both do.
 */
export function matches(room: IRoomCache, conditions: Conditions): boolean {
  for (const field in conditions) {
    if (!Object.hasOwn(conditions, field)) continue;
    if (!Object.hasOwn(room, field) && !hasMetadataKey(room, field)) return false;
    if (fieldValue(room, field) !== conditions[field]) return false;
  }
  return true;
}

/** Every match, sorted (stable, so ties keep replica order). */
export function selectAll(rooms: Iterable<IRoomCache>, conditions: Conditions, sort?: SortOptions): IRoomCache[] {
  const found: IRoomCache[] = [];
  for (const room of rooms) if (matches(room, conditions)) found.push(room);
  const order = toOrder(sort);
  return order.length === 0 ? found : found.sort((a, b) => compare(a, b, order));
}

/**
 * The first match in sort order, in one pass: the hot path of every join, which needs no full sort. Among rooms the
 * sort ranks equal, one that `prefer` picks wins (the answering node's own rooms: see NatsDriver's findOne).
 */
export function selectFirst(
  rooms: Iterable<IRoomCache>,
  conditions: Conditions,
  sort?: SortOptions,
  prefer?: (room: IRoomCache) => boolean,
): IRoomCache | undefined {
  const order = toOrder(sort);
  let best: IRoomCache | undefined;
  let bestPreferred = false;
  for (const room of rooms) {
    if (!matches(room, conditions)) continue;
    const preferred = prefer?.(room) === true;
    // Strictly better only: among equals the first one wins, as with a stable sort.
    const c = best === undefined ? -1 : order.length > 0 ? compare(room, best, order) : 0;
    if (c < 0 || (c === 0 && preferred && !bestPreferred)) {
      best = room;
      bestPreferred = preferred;
    }
  }
  return best;
}

/** 1, 'asc' and 'ascending' sort up; anything else sorts down (RedisDriver's and LocalDriver's reading). */
function toOrder(sort: SortOptions | undefined): Order {
  if (!sort) return [];
  return Object.entries(sort).map(([field, dir]) => [
    field,
    dir === 1 || dir === 'asc' || dir === 'ascending' ? 1 : -1,
  ]);
}

/**
 * Each room's value is its own field, else its metadata key (RedisDriver's rule; LocalDriver decides by the first
 * room of each pair only). Plain `<`/`>`, so Dates compare by time and missing values never order.
 */
function compare(a: IRoomCache, b: IRoomCache, order: Order): number {
  for (const [field, direction] of order) {
    const x = sortValue(a, field);
    const y = sortValue(b, field);
    if (x > y) return direction;
    if (x < y) return -direction;
  }
  return 0;
}

// `<` and `>` on unknown values are what both reference drivers do; TypeScript only accepts them on these types.
function sortValue(room: IRoomCache, field: string): number | string | Date {
  return fieldValue(room, field) as number | string | Date;
}

function fieldValue(room: IRoomCache, field: string): unknown {
  if (Object.hasOwn(room, field)) return (room as unknown as Record<string, unknown>)[field];
  return hasMetadataKey(room, field) ? (room.metadata as Record<string, unknown>)[field] : undefined;
}

function hasMetadataKey(room: IRoomCache, field: string): boolean {
  const metadata: unknown = room.metadata;
  return typeof metadata === 'object' && metadata !== null && Object.hasOwn(metadata, field);
}
