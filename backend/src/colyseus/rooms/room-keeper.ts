import { type IRoomCache, type MatchMakerDriver, matchMaker, type Room } from '@colyseus/core';
import type { Schema } from '@colyseus/schema';
import type { NatsConnection } from '@nats-io/transport-node';
import { pack, unpack } from 'msgpackr';
import type { Logger } from 'pino';
import { hash32, type MemberInfo, type ObjectRuntime } from '../../objects/index.ts';
import { rendezvous } from '../../objects/internal.ts';
import { ResidentRoom } from './resident-room.ts';
import { RoomCheckpoint, type RoomSnapshot } from './room-checkpoint.ts';

export interface RoomKeeperOptions {
  readonly runtime: ObjectRuntime;
  readonly driver: MatchMakerDriver;
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly publicAddress: string;
  /** How often every local room is checkpointed. */
  readonly intervalMs: number;
  readonly log: Logger;
}

/** Close code for clients of a room that moves to another node: they re-join it there. */
export const ROOM_MOVED = 4010; // Colyseus's MAY_TRY_RECONNECT

/**
 * Keeps this node's rooms alive beyond the node. It checkpoints every ResidentRoom into the object runtime; when a
 * node dies, the survivor chosen by rendezvous hashing restores each of its rooms under the same roomId, with seats
 * reserved for the old clients' reconnection tokens; on drain it hands each room to another node the same way.
 */
export class RoomKeeper {
  private timer: NodeJS.Timeout | undefined;
  private readonly members = new Map<string, MemberInfo>();
  private readonly restoring = new Set<string>();

  constructor(private readonly opts: RoomKeeperOptions) {}

  start(): void {
    // Liveness comes from membership (dead within ~1 s, never on one missed ping), not Colyseus's IPC health checks.
    matchMaker.setHealthChecksEnabled(false);
    this.timer = setInterval(() => void this.checkpointAll(), this.opts.intervalMs);
    this.rememberMembers();
    this.opts.runtime.membership.onChange(() => this.onMembershipChange());
    this.opts.nc.subscribe(this.restoreSubject(this.opts.runtime.nodeId), {
      callback: (_err, msg) => {
        const roomId = msg.string();
        this.restoreById(roomId).then(
          () => msg.respond('ok'),
          (err: unknown) => msg.respond(`error: ${String(err)}`),
        );
      },
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Checkpoints every local ResidentRoom now. */
  async checkpointAll(): Promise<void> {
    await Promise.all((await this.localRooms()).map((room) => this.checkpoint(room)));
  }

  private async localRooms(): Promise<ResidentRoom[]> {
    const rooms: ResidentRoom[] = [];
    for (const listing of await this.listingsAt(this.opts.publicAddress)) {
      const room = matchMaker.getLocalRoomById(listing.roomId);
      if (room instanceof ResidentRoom) rooms.push(room);
    }
    return rooms;
  }

  private async listingsAt(address: string): Promise<IRoomCache[]> {
    return await this.opts.driver.query({ publicAddress: address });
  }

  private async checkpoint(room: ResidentRoom): Promise<void> {
    try {
      await this.opts.runtime.get(RoomCheckpoint, room.roomId).save(snapshotOf(room));
    } catch (err) {
      this.opts.log.warn({ roomId: room.roomId, err: String(err) }, 'room checkpoint failed');
    }
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
    const hosts = this.activeHosts();
    const listings = await this.listingsAt(address);
    this.opts.log.info({ address, rooms: listings.length }, 'node gone; adopting the rooms this node is chosen for');
    for (const listing of listings) {
      if (rendezvous(hash32(listing.roomId), hosts) !== this.opts.runtime.nodeId) continue;
      await this.restoreById(listing.roomId).catch((err: unknown) =>
        this.opts.log.error({ roomId: listing.roomId, err: String(err) }, 'room restore failed'),
      );
    }
  }

  private activeHosts(): string[] {
    return [...this.opts.runtime.membership.alive().values()]
      .filter((m) => m.role === 'host' && m.status === 'active')
      .map((m) => m.id);
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

  private async restore(snapshot: RoomSnapshot): Promise<void> {
    const listing = await matchMaker.handleCreateRoom(snapshot.roomName, snapshot.options, undefined, snapshot.roomId);
    const room = matchMaker.getLocalRoomById(listing.roomId);
    if (!(room instanceof ResidentRoom)) throw new Error(`${snapshot.roomName} is not a ResidentRoom`);
    try {
      if (snapshot.state) restoreState(room, snapshot.state);
      room.expectClients(snapshot.clients, restoredSeatSeconds(room));
      room.onRestoreRoom?.(snapshot.cache);
    } catch (err) {
      await room.disconnect();
      throw err;
    }
    for (const c of snapshot.clients) {
      // allowReconnection: the client's reconnect request finds its seat by its old reconnection token.
      await reserveSeat(room, c.sessionId, c.auth, c.reconnectionToken);
    }
    await this.opts.driver.update(listing, { $set: { clients: snapshot.clients.length } });
    this.opts.log.info({ roomId: snapshot.roomId, clients: snapshot.clients.length }, 'room restored');
  }

  /** Drain: move every local room to another node; its clients follow with their reconnection tokens. */
  async drain(): Promise<void> {
    const others = this.activeHosts().filter((id) => id !== this.opts.runtime.nodeId);
    if (others.length === 0) return;
    for (const room of await this.localRooms()) {
      const target = rendezvous(hash32(room.roomId), others)!;
      room.migrating = true;
      await room.lock();
      await this.checkpoint(room);
      await room.disconnect(ROOM_MOVED);
      const reply = await this.opts.nc.request(this.restoreSubject(target), room.roomId, { timeout: 10_000 });
      if (reply.string() !== 'ok')
        this.opts.log.error({ roomId: room.roomId, target, reply: reply.string() }, 'room move failed');
    }
  }

  private restoreSubject(node: string): string {
    return `rsd.${this.opts.cluster}.rooms.restore.${node}`;
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

/**
 * The whole state as plain data. Not the encoder's full sync: that leaves out view-tagged fields (per-client
 * areas of interest), which a restored room needs as much as the rest.
 */
function encodeState(room: Room): Uint8Array | null {
  const state = room.state as Schema | undefined;
  return state ? pack(state.toJSON()) : null;
}

/** Writes the checkpoint's values into the room's live state (as Colyseus's devMode restores rooms), so the
 * room's encoder and change tracking stay as they are. */
export function restoreState(room: Room, bytes: Uint8Array): void {
  const live = room.state as Schema & { restore(json: unknown): void } & Record<string, unknown>;
  const saved = unpack(bytes) as Record<string, unknown>;
  // restore() adds to collections; what onCreate put there (a fresh room's seed) must not survive next to it.
  for (const key of Object.keys(saved)) {
    const field = live[key] as { clear?: () => void } | undefined;
    if (typeof field?.clear === 'function') field.clear();
  }
  live.restore(saved);
}

interface WithReserveSeat {
  _reserveSeat(
    sessionId: string,
    joinOptions: unknown,
    auth: unknown,
    seconds: number,
    allowReconnection: boolean,
    token: string,
  ): Promise<boolean>;
  seatReservationTimeout: number;
}

/** How long a restored room holds a returning client's seat. */
function restoredSeatSeconds(room: Room): number {
  return Math.max((room as unknown as WithReserveSeat).seatReservationTimeout, 30);
}

function reserveSeat(room: Room, sessionId: string, auth: unknown, token: string): Promise<boolean> {
  const r = room as unknown as WithReserveSeat;
  return r._reserveSeat(sessionId, {}, auth, restoredSeatSeconds(room), true, token);
}
