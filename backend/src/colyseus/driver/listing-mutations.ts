import type { IRoomCache } from '@colyseus/core';
import type { Mutation } from './listing-writer.ts';
import { applyOperations, type UpdateOperations } from './update-ops.ts';

// The driver's write operations as functions of the stored listing. The writer may run them more than once (after a
// conflict), so they depend on nothing but their arguments.

/** Writes `room` whatever is stored (persist: RedisDriver's HSET). */
export function replaceWith(room: IRoomCache): Mutation {
  return () => ({ next: room, result: true });
}

/** Writes `room` only where nothing is listed; false when a listing exists (insert). */
export function createAs(room: IRoomCache): Mutation {
  return (current) => (current ? { next: current, result: false } : { next: room, result: true });
}

/** Applies `$set`/`$inc` to the stored listing; false, writing nothing, when there is none. */
export function modify(operations: UpdateOperations): Mutation {
  return (current) => {
    if (!current) return { next: undefined, result: false };
    const next = structuredClone(current);
    applyOperations(next, operations);
    // The key is derived from the roomId: a listing renamed in place would no longer be found under it.
    next.roomId = current.roomId;
    return { next, result: true };
  };
}

/** Deletes the listing; false when there is none. */
export const erase: Mutation = (current) => ({ next: undefined, result: current !== undefined });

/** Deletes the listing if it (still) belongs to `processId`: a listing written anew by a live process stays. */
export function eraseOf(processId: string): Mutation {
  return (current) =>
    current?.processId === processId ? { next: undefined, result: true } : { next: current, result: false };
}
