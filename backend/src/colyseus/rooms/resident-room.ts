import { type ExtractRoomClient, Room, type RoomOptions } from '@colyseus/core';
import type { SnapshotClient } from './room-checkpoint.ts';

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

  override onCreate(options: unknown): void {
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
