// A room's state in a checkpoint: written as plain data, and read back into a restored room's live state.
import type { Room } from '@colyseus/core';
import type { Schema } from '@colyseus/schema';
import { pack, unpack } from 'msgpackr';

/**
 * The whole state as plain data. Not the encoder's full sync: that leaves out view-tagged fields (per-client
 * areas of interest), which a restored room needs as much as the rest.
 */
export function encodeState(room: Room): Uint8Array | null {
  const state = room.state as Schema | undefined;
  return state ? pack(state.toJSON()) : null;
}

/** Writes the checkpoint's values into the room's live state (as Colyseus's devMode restores rooms), so the
 * room's encoder and change tracking stay as they are. */
export function restoreState(room: Room, bytes: Uint8Array): void {
  const live = room.state as Schema & { restore(json: unknown): void } & Record<string, unknown>;
  const saved = unpack(bytes) as Record<string, unknown>;
  // restore() adds to collections; whatever is in them already must not survive next to the saved entries.
  for (const key of Object.keys(saved)) {
    const field = live[key] as { clear?: () => void } | undefined;
    if (typeof field?.clear === 'function') field.clear();
  }
  live.restore(saved);
}
