// The example room of docs/WRITING-OBJECTS-AND-ROOMS.md: players score points, a timer counts rounds. It survives
// its node (kill -9 or drain) with no failover code of its own: ResidentRoom checkpoints the state, restores it on
// another node under the same roomId, and runs onCreate there once, so the timer and handlers start again.
import type { Client } from '@colyseus/core';
import { type SchemaType, schema, t } from '@colyseus/schema';
import { ResidentRoom, type Restored } from '../colyseus/rooms/resident-room.ts';

const ScorePlayer = schema({ name: t.string().default(''), points: t.uint32().default(0) }, 'ScorePlayer');

export const ScoreState = schema(
  { node: t.string().default(''), round: t.uint32().default(0), players: t.map(ScorePlayer) },
  'ScoreState',
);
export type ScoreState = SchemaType<typeof ScoreState>;

export class ScoreRoom extends ResidentRoom<{ state: ScoreState }> {
  override state = new ScoreState();
  override maxClients = 16;

  /** A new room, or a restored one whose state already holds its players, points and round. */
  override onCreate(_options: unknown, restored?: Restored): void {
    this.state.node = this.resident.nodeId;
    this.onMessage('score', (client: Client) => {
      const player = this.state.players.get(client.sessionId);
      if (player) player.points += 1;
    });
    this.clock.setInterval(() => {
      this.state.round += 1;
    }, 1000);
    this.resident.log.info({ roomId: this.roomId, restored: restored !== undefined }, 'score room ready');
  }

  override onJoin(client: Client, options?: { name?: unknown }): void {
    const name = typeof options?.name === 'string' ? options.name.slice(0, 32) : client.sessionId;
    this.state.players.set(client.sessionId, new ScorePlayer().assign({ name }));
  }

  /** A lost connection keeps its seat for 10 s. */
  override onDrop(client: Client): void {
    Promise.resolve(this.allowReconnection(client, 10)).catch(() => undefined); // not back in time: onLeave follows
  }

  override onLeave(client: Client): void {
    this.state.players.delete(client.sessionId);
  }
}
