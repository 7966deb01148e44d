import { Resident } from '../../objects/index.ts';

/** What a room needs to come back on another node under the same roomId. */
export interface RoomSnapshot {
  readonly roomName: string;
  readonly roomId: string;
  /** The options onCreate ran with: a restore runs onCreate again with them, then replaces the state. */
  readonly options: unknown;
  /** `encodeAll()` of the room state, or null for a room without state. */
  readonly state: Uint8Array | null;
  /** Whatever the room's `onCacheRoom()` returned; handed to `onRestoreRoom()`. */
  readonly cache: unknown;
  readonly clients: readonly SnapshotClient[];
  readonly takenAt: number;
}

export interface SnapshotClient {
  readonly sessionId: string;
  readonly reconnectionToken: string;
  readonly auth: unknown;
}

/** The latest checkpoint of one room, durable in the object runtime, keyed by roomId. */
export class RoomCheckpoint extends Resident<{ snapshot: RoomSnapshot | null }> {
  static initial() {
    return { snapshot: null };
  }

  save(snapshot: RoomSnapshot): void {
    this.state.snapshot = snapshot;
  }

  load(): RoomSnapshot | null {
    return this.state.snapshot;
  }

  drop(): void {
    this.state.snapshot = null;
  }
}
