// A low-activity room for idle players (and the load generator's idle users): an authenticated seat and an
// active Player object, without a simulation.
import { type Client, Room } from '@colyseus/core';
import { type SchemaType, schema, t } from '@colyseus/schema';
import type { GuestClaims } from './auth/guest-tokens.ts';
import { authenticate, claims } from './auth/room-auth.ts';
import { game } from './context.ts';
import { Player } from './objects/player.ts';

export const LOUNGE_ROOM = 'lounge';

const LoungeState = schema({ node: t.string().default(''), online: t.uint16().default(0) }, 'LoungeState');
type LoungeState = SchemaType<typeof LoungeState>;

export class LoungeRoom extends Room<{ state: LoungeState }> {
  override state = new LoungeState();
  override maxClients = 500;
  override patchRate = 1000;

  static override async onAuth(token: string): Promise<GuestClaims> {
    return authenticate(token);
  }

  override onCreate(): void {
    this.state.node = game().nodeId;
  }

  override async onJoin(client: Client<{ auth: GuestClaims }>): Promise<void> {
    await game().objects.get(Player, claims(client).sub).enter(claims(client).name);
    this.state.online = this.clients.length;
  }

  override onLeave(): void {
    this.state.online = this.clients.length;
  }
}
