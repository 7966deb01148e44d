import type { IRoomCache } from '@colyseus/core';

/** The second argument of `MatchMakerDriver.update`. */
export type UpdateOperations = Partial<{ $set: Partial<IRoomCache>; $inc: Partial<IRoomCache> }>;

/**
 * Applies `$set` then `$inc` in place, field by field, exactly as LocalDriver and RedisDriver do to the room they
 * are given (so `$inc` on a missing field gives NaN there too).
 */
export function applyOperations(target: IRoomCache, operations: UpdateOperations): void {
  const fields = target as unknown as Record<string, unknown>;
  const set = operations.$set as Record<string, unknown> | undefined;
  const inc = operations.$inc as Record<string, unknown> | undefined;
  if (set) {
    for (const field in set) if (Object.hasOwn(set, field)) fields[field] = set[field];
  }
  if (inc) {
    for (const field in inc)
      if (Object.hasOwn(inc, field)) fields[field] = (fields[field] as number) + (inc[field] as number);
  }
}
