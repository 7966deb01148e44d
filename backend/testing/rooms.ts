// Test rooms for multi-node Colyseus tests: one that survives its node, one that does not.
import { type Client, Room } from '@colyseus/core';
import { MapSchema, type SchemaType, schema, t } from '@colyseus/schema';
import { ResidentRoom } from '../src/colyseus/rooms/resident-room.ts';

const Player = schema({ name: t.string().default(''), score: t.number().default(0) }, 'TestPlayer');
export const TallyState = schema(
  { count: t.number().default(0), players: t.map(Player), host: t.string().default('') },
  'TallyState',
);
export type TallyState = SchemaType<typeof TallyState>;

/** A counter every client can bump; players keep a score. Checkpointed and restored across nodes. */
export class TallyRoom extends ResidentRoom<{ state: TallyState }> {
  override state = new TallyState();
  override maxClients = 50;
  override messages = {
    inc: (client: { sessionId: string }) => {
      this.state.count += 1;
      const p = this.state.players.get(client.sessionId);
      if (p) p.score += 1;
    },
    where: (client: { send(type: string, msg: unknown): void }) => {
      client.send('where', this.resident.nodeId);
    },
  };

  /** New or restored: either way this node now hosts the room. */
  override onCreate(): void {
    this.state.host = this.resident.nodeId;
  }

  override onJoin(client: { sessionId: string }, options: { name?: string }): void {
    this.state.players.set(client.sessionId, new Player().assign({ name: options?.name ?? client.sessionId }));
  }

  /** Dropped without consent: hold the seat for a while. */
  override onDrop(client: Client): void {
    Promise.resolve(this.allowReconnection(client, 10)).catch(() => undefined); // not back in time: onLeave follows
  }

  override onLeave(client: Client): void {
    this.state.players.delete(client.sessionId);
  }
}

/** A plain Colyseus room: it dies with its node, and its listing must go with it. */
export class PlainRoom extends Room {
  override maxClients = 10;
  override seatReservationTimeout = 1; // seconds: lets tests see a reservation expire
}

export { MapSchema };
