// A low-activity room for idle players (and the load generator's idle users): an authenticated seat and an
// active Player object (in stateless mode, a profile in the twin), without a simulation.
import type { AuthContext, Client, RoomException } from '@colyseus/core';
import { type SchemaType, schema, t } from '@colyseus/schema';
import { CloseCode as GameClose } from '@resident/shared/game';
import { NodeRoom } from '../colyseus/rooms/node-room.ts';
import type { GuestClaims } from './auth/guest-tokens.ts';
import { admit, claims, type SeatClaims } from './auth/room-auth.ts';
import type { GameContext } from './context.ts';
import { answerPing } from './ping.ts';
import { logUncaught } from './room-errors.ts';
import { applyRoomLimits, expectJoinAck, onBytes, seatJoined, seatLeft } from './room-guards.ts';

export const LOUNGE_ROOM = 'lounge';

/** Every seated player's object is touched once per this period, well inside Player.idleMs, in small batches. */
const KEEP_WARM_MS = 4 * 60_000;
const KEEP_WARM_STEP_MS = 10_000;

const LoungeState = schema({ node: t.string().default(''), online: t.uint16().default(0) }, 'LoungeState');
type LoungeState = SchemaType<typeof LoungeState>;

export class LoungeRoom extends NodeRoom<{ state: LoungeState }, GameContext> {
  override state = new LoungeState();
  override maxClients = 500;
  override patchRate = 1000;

  static override authenticate(game: GameContext, token: string, _options: unknown, auth: AuthContext): SeatClaims {
    return admit(game, token, auth);
  }

  private cursor = 0;

  override onCreate(): void {
    applyRoomLimits(this, this.resident.rooms);
    this.state.node = this.resident.nodeId;
    this.clock.setInterval(() => this.keepWarm(), KEEP_WARM_STEP_MS);
    // Idle players measure their round trip too; nothing else is accepted here.
    const refuse = (client: Client) => client.leave(GameClose.abuse, 'ping is not a valid protobuf Ping');
    onBytes(
      this,
      'ping',
      (client, bytes) => {
        if (!answerPing(client, bytes)) refuse(client);
      },
      refuse,
    );
  }

  override async onJoin(client: Client<{ auth: GuestClaims }>): Promise<void> {
    seatJoined(this.resident.seats, client);
    await this.resident.services.enter(claims(client));
    this.state.online = this.clients.length;
    expectJoinAck(this, client);
  }

  override onLeave(client: Client): void {
    seatLeft(this.resident.seats, client);
    this.state.online = this.clients.length;
  }

  override onUncaughtException(error: RoomException, method: string): void {
    logUncaught(this, error, method);
  }

  /** An idle player is still online: keep its Player object active (idle objects are deactivated). */
  private keepWarm(): void {
    const n = this.clients.length;
    const batch = Math.ceil((n * KEEP_WARM_STEP_MS) / KEEP_WARM_MS);
    for (let i = 0; i < batch && n > 0; i++) {
      const client = this.clients[(this.cursor + i) % n];
      if (client) void this.resident.services.keepAlive(claims(client)).catch(() => undefined);
    }
    this.cursor = n > 0 ? (this.cursor + batch) % n : 0;
  }
}
