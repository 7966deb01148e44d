import { z } from 'zod';
import { badArguments, boundedData, Resident } from '../../objects/index.ts';

/** What a room needs to come back on another node under the same roomId. */
export interface RoomSnapshot {
  readonly roomName: string;
  readonly roomId: string;
  /** The options onCreate ran with: a restore writes the state back first, then runs onCreate once with them. */
  readonly options: unknown;
  /** The room state as plain data (`toJSON()`, msgpack; room-state.ts), or null for a room without state. */
  readonly state: Uint8Array | null;
  /** Whatever the room's `onCacheRoom()` returned; handed to the restored room's `onCreate` as `restored.cache`. */
  readonly cache: unknown;
  readonly clients: readonly SnapshotClient[];
  readonly takenAt: number;
}

export interface SnapshotClient {
  readonly sessionId: string;
  readonly reconnectionToken: string;
  readonly auth: unknown;
}

/**
 * What a checkpoint may hold. A stored checkpoint must stay storable (a JetStream KV value is at most 1 MiB by
 * default) and restorable, so sizes, counts and nesting are bounded; an arena room is far inside them.
 */
export const CHECKPOINT_LIMITS = {
  stateBytes: 1024 * 1024,
  clients: 1000,
  /** Options and cache: a room's own plain data. */
  data: { depth: 32, values: 50_000, length: 64 * 1024 },
  /** One client's auth (the game's is { sub, name, exp }). */
  auth: { depth: 8, values: 256, length: 4096 },
} as const;

const id = z.string().min(1).max(128);
const snapshotSchema = z.object({
  roomName: id,
  roomId: id,
  options: boundedData(CHECKPOINT_LIMITS.data),
  state: z
    .instanceof(Uint8Array)
    .refine((b) => b.byteLength <= CHECKPOINT_LIMITS.stateBytes, `state over ${CHECKPOINT_LIMITS.stateBytes} bytes`)
    .nullable(),
  cache: boundedData(CHECKPOINT_LIMITS.data),
  clients: z
    .array(z.object({ sessionId: id, reconnectionToken: id, auth: boundedData(CHECKPOINT_LIMITS.auth) }))
    .max(CHECKPOINT_LIMITS.clients),
  takenAt: z.int().min(0),
});

/** The latest checkpoint of one room, durable in the object runtime, keyed by roomId. */
export class RoomCheckpoint extends Resident<{ snapshot: RoomSnapshot | null }> {
  static readonly expose = { save: z.tuple([snapshotSchema]), load: z.tuple([]), drop: z.tuple([]) };

  static initial() {
    return { snapshot: null };
  }

  /** A room's checkpoint is kept under its own roomId only, so one room's snapshot cannot replace another's. */
  save(snapshot: RoomSnapshot): void {
    if (snapshot.roomId !== this.key) {
      throw badArguments('RoomCheckpoint.save', `args[0].roomId: not this checkpoint's room`);
    }
    this.state.snapshot = snapshot;
  }

  load(): RoomSnapshot | null {
    return this.state.snapshot;
  }

  drop(): void {
    this.state.snapshot = null;
  }
}
