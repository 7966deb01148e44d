// Checkpointing: every local ResidentRoom's snapshot, saved into the object runtime on a timer and before a move.
import { type IRoomCache, type MatchMakerDriver, matchMaker } from '@colyseus/core';
import type { Logger } from 'pino';
import type { Refs } from '../../objects/index.ts';
import { ResidentRoom } from './resident-room.ts';
import { RoomCheckpoint, type RoomSnapshot } from './room-checkpoint.ts';
import { encodeState } from './room-state.ts';

export interface CheckpointerOptions {
  readonly objects: Refs;
  readonly driver: MatchMakerDriver;
  readonly publicAddress: string;
  readonly log: Logger;
}

export class RoomCheckpointer {
  constructor(private readonly opts: CheckpointerOptions) {}

  /** Checkpoints every local ResidentRoom now. */
  async checkpointAll(): Promise<void> {
    await Promise.all((await this.localRooms()).map((room) => this.checkpoint(room)));
  }

  async localRooms(): Promise<ResidentRoom[]> {
    const rooms: ResidentRoom[] = [];
    for (const listing of await this.listingsAt(this.opts.publicAddress)) {
      const room = matchMaker.getLocalRoomById(listing.roomId);
      if (room instanceof ResidentRoom) rooms.push(room);
    }
    return rooms;
  }

  /** The rooms the matchmaker lists at a node's address (a dead node's stay listed until they are adopted). */
  async listingsAt(address: string): Promise<IRoomCache[]> {
    return await this.opts.driver.query({ publicAddress: address });
  }

  async checkpoint(room: ResidentRoom): Promise<void> {
    try {
      await this.opts.objects.get(RoomCheckpoint, room.roomId).save(snapshotOf(room));
    } catch (err) {
      this.opts.log.warn({ roomId: room.roomId, err: String(err) }, 'room checkpoint failed');
    }
  }
}

function snapshotOf(room: ResidentRoom): RoomSnapshot {
  return {
    roomName: room.roomName,
    roomId: room.roomId,
    options: room.createOptions,
    state: encodeState(room),
    cache: room.onCacheRoom?.(),
    clients: [
      // Array.from: Colyseus's client list is an Array subclass that carries an index Map along.
      ...Array.from(room.clients, (c) => ({
        sessionId: c.sessionId,
        reconnectionToken: c.reconnectionToken,
        auth: c.auth ?? null,
      })),
      ...room.expectedClients(),
    ],
    takenAt: Date.now(),
  };
}
