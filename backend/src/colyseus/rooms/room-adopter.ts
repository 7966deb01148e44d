// Adopting: when a node dies, the survivor chosen by rendezvous hashing restores each of its rooms under the same
// roomId from the last checkpoint, with seats reserved for the old clients' reconnection tokens. The same restore
// serves a room moved here by a draining node (requested on this node's restore subject).
import { type MatchMakerDriver, matchMaker } from '@colyseus/core';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { hash32, type MemberInfo, type ObjectRuntime } from '../../objects/index.ts';
import { isActiveHost, rendezvous } from '../../objects/internal.ts';
import { ResidentRoom } from './resident-room.ts';
import { RoomCheckpoint, type RoomSnapshot } from './room-checkpoint.ts';
import type { RoomCheckpointer } from './room-checkpointer.ts';
import { reserveReturningSeat, restoredSeatSeconds } from './seat-shim.ts';

export interface AdopterOptions {
  readonly runtime: ObjectRuntime;
  readonly driver: MatchMakerDriver;
  readonly nc: NatsConnection;
  readonly checkpointer: RoomCheckpointer;
  /** Shared with the node's room definitions: a restored room's onCreate reads its checkpoint here. */
  readonly restores: Map<string, RoomSnapshot>;
  readonly log: Logger;
}

/** The subject a node listens on for rooms moved to it. */
export function restoreSubject(cluster: string, node: string): string {
  return `rsd.${cluster}.rooms.restore.${node}`;
}

/** Ids of the active hosts: where rooms may be restored or moved. */
export function activeHosts(runtime: ObjectRuntime): string[] {
  return [...runtime.membership.alive().values()].filter(isActiveHost).map((m) => m.id);
}

export class RoomAdopter {
  private readonly members = new Map<string, MemberInfo>();
  private readonly restoring = new Set<string>();

  constructor(private readonly opts: AdopterOptions) {}

  /** Watches membership for dead nodes, and answers restore requests on `subject`. */
  start(subject: string): void {
    this.rememberMembers();
    this.opts.runtime.membership.onChange(() => this.onMembershipChange());
    this.opts.nc.subscribe(subject, {
      callback: (_err, msg) => {
        this.restoreById(msg.string()).then(
          () => msg.respond('ok'),
          (err: unknown) => msg.respond(`error: ${String(err)}`),
        );
      },
    });
  }

  private rememberMembers(): void {
    for (const [id, info] of this.opts.runtime.membership.alive()) this.members.set(id, info);
  }

  private onMembershipChange(): void {
    const alive = this.opts.runtime.membership.alive();
    for (const [id, info] of this.members) {
      if (!alive.has(id) && info.status !== 'draining' && info.address) void this.adoptRoomsOf(info.address);
    }
    this.members.clear();
    this.rememberMembers();
  }

  /** A node died: restore each of its rooms here if this node is that room's rendezvous choice. */
  private async adoptRoomsOf(address: string): Promise<void> {
    const hosts = activeHosts(this.opts.runtime);
    const listings = await this.opts.checkpointer.listingsAt(address);
    this.opts.log.info({ address, rooms: listings.length }, 'node gone; adopting the rooms this node is chosen for');
    for (const listing of listings) {
      if (rendezvous(hash32(listing.roomId), hosts) !== this.opts.runtime.nodeId) continue;
      await this.restoreById(listing.roomId).catch((err: unknown) =>
        this.opts.log.error({ roomId: listing.roomId, err: String(err) }, 'room restore failed'),
      );
    }
  }

  /** Restores a room from its last checkpoint under the same roomId. */
  async restoreById(roomId: string): Promise<void> {
    if (this.restoring.has(roomId) || matchMaker.getLocalRoomById(roomId)) return;
    this.restoring.add(roomId);
    try {
      const snapshot = await this.opts.runtime.get(RoomCheckpoint, roomId).load();
      await this.opts.driver.remove(roomId); // the old listing, so the roomId can be listed here
      if (snapshot) await this.restore(snapshot);
    } finally {
      this.restoring.delete(roomId);
    }
  }

  /** Creates the room with its old options and roomId; its onCreate finds the checkpoint (see resident-room.ts). */
  private async restore(snapshot: RoomSnapshot): Promise<void> {
    this.opts.restores.set(snapshot.roomId, snapshot);
    const listing = await matchMaker
      .handleCreateRoom(snapshot.roomName, snapshot.options, undefined, snapshot.roomId)
      .finally(() => this.opts.restores.delete(snapshot.roomId));
    const room = matchMaker.getLocalRoomById(listing.roomId);
    if (!(room instanceof ResidentRoom)) {
      await room?.disconnect();
      throw new Error(`${snapshot.roomName} is not a ResidentRoom`);
    }
    room.expectClients(snapshot.clients, restoredSeatSeconds(room));
    for (const c of snapshot.clients) await reserveReturningSeat(room, c.sessionId, c.auth, c.reconnectionToken);
    await this.opts.driver.update(listing, { $set: { clients: snapshot.clients.length } });
    this.opts.log.info({ roomId: snapshot.roomId, clients: snapshot.clients.length }, 'room restored');
  }
}
