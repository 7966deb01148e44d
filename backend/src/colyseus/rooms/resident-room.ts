import { ErrorCode, type ExtractRoomClient, Room, type RoomOptions, ServerError } from '@colyseus/core';
import type { SnapshotClient } from './room-checkpoint.ts';

/**
 * The deepest and largest create options a checkpoint can carry: the object runtime refuses call arguments nested
 * deeper than 64, and a checkpoint nests the options a few levels down. Matchmaking refuses far less already.
 */
export const CHECKPOINT_OPTIONS = { maxDepth: 32, maxBytes: 64 * 1024 } as const;

/** Why these options are refused (too deep, too large), or undefined when they are fine. */
export function optionsProblem(
  options: unknown,
  maxDepth: number,
  maxBytes = Number.POSITIVE_INFINITY,
): string | undefined {
  if (depthOf(options, maxDepth + 1) > maxDepth) return `are nested deeper than ${maxDepth} levels`;
  if (maxBytes !== Number.POSITIVE_INFINITY && (JSON.stringify(options)?.length ?? 0) > maxBytes)
    return `are larger than ${maxBytes} bytes`;
  return undefined;
}

/** Nesting depth of arrays and objects (a scalar is 0), counted no further than `stop`. */
function depthOf(value: unknown, stop: number): number {
  if (value === null || typeof value !== 'object' || stop <= 0) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child, stop - 1));
    if (deepest >= stop - 1) break;
  }
  return deepest + 1;
}

/**
 * A Colyseus room that survives its node: it is checkpointed into the object runtime and restored elsewhere under
 * the same roomId when its node dies or drains. Subclasses call `super.onCreate(options)` first, read
 * `this.migrating` in onLeave (a client leaving because the room moves is not a player quitting), and may implement
 * Colyseus's `onCacheRoom()` / `onRestoreRoom(cache)` for data that is not in the state.
 */
export class ResidentRoom<T extends RoomOptions = RoomOptions> extends Room<T> {
  /** Options onCreate ran with, saved in every checkpoint. */
  createOptions: unknown = {};
  /** True while the room is being moved to another node (drain); its clients will re-join there. */
  migrating = false;
  /** Clients expected back after a restore, by sessionId; their auth is applied when they reconnect. */
  private expected: Map<string, SnapshotClient> | undefined;

  /** Refuses options a checkpoint could not carry: the room would lose its failover silently. */
  override onCreate(options: unknown): void {
    const problem = optionsProblem(options, CHECKPOINT_OPTIONS.maxDepth, CHECKPOINT_OPTIONS.maxBytes);
    if (problem) throw new ServerError(ErrorCode.MATCHMAKE_INVALID_CRITERIA, `bad_options: room options ${problem}`);
    this.createOptions = options ?? {};
  }

  /**
   * Called by the room keeper on the node that restores this room. A client not back within `seatSeconds` has left
   * (its seat expired), so later checkpoints must stop carrying it.
   */
  expectClients(clients: readonly SnapshotClient[], seatSeconds: number): void {
    this.expected = new Map(clients.map((c) => [c.sessionId, c]));
    this.clock.setTimeout(() => this.expected?.clear(), (seatSeconds + 5) * 1000);
  }

  /** Clients restored with the room that have not reconnected yet: later checkpoints must keep their seats. */
  expectedClients(): SnapshotClient[] {
    return [...(this.expected?.values() ?? [])];
  }

  /** Restored clients skip onAuth (their seat is a reconnection), so give them back their auth here. */
  override onReconnect(client: ExtractRoomClient<T>): void {
    const c = client as unknown as { sessionId: string; auth: unknown };
    const expected = this.expected?.get(c.sessionId);
    if (expected) {
      c.auth = expected.auth;
      this.expected?.delete(c.sessionId);
    }
  }
}
