// Moving: a draining node hands each of its rooms to another node; the clients follow with their reconnection tokens.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { hash32, type ObjectRuntime } from '../../objects/index.ts';
import { rendezvous } from '../../objects/internal.ts';
import { activeHosts } from './room-adopter.ts';
import type { RoomCheckpointer } from './room-checkpointer.ts';

/** Close code for clients of a room that moves to another node: they re-join it there. */
export const ROOM_MOVED = 4010; // Colyseus's MAY_TRY_RECONNECT

export interface MoverOptions {
  readonly runtime: ObjectRuntime;
  readonly nc: NatsConnection;
  readonly checkpointer: RoomCheckpointer;
  /** The restore subject of a node. */
  readonly subjectOf: (node: string) => string;
  readonly log: Logger;
}

/** Drain: lock, checkpoint and close each local room, then ask its rendezvous choice among the others to restore it. */
export async function moveRooms(opts: MoverOptions): Promise<void> {
  const others = activeHosts(opts.runtime).filter((id) => id !== opts.runtime.nodeId);
  if (others.length === 0) return;
  for (const room of await opts.checkpointer.localRooms()) {
    const target = rendezvous(hash32(room.roomId), others)!;
    room.migrating = true;
    await room.lock();
    await opts.checkpointer.checkpoint(room);
    await room.disconnect(ROOM_MOVED);
    const reply = await opts.nc.request(opts.subjectOf(target), room.roomId, { timeout: 10_000 });
    if (reply.string() !== 'ok')
      opts.log.error({ roomId: room.roomId, target, reply: reply.string() }, 'room move failed');
  }
}
