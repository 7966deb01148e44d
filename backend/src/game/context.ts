// What the game's rooms get from the node they run on, injected before onCreate as `this.resident` (see
// colyseus/rooms/node-room.ts): the node's objects, id, clock and logger, and the game's own per-node parts.
import type { ResidentContext } from '../objects/index.ts';
import type { GuestTokens } from './auth/guest-tokens.ts';
import type { SeatLedger } from './auth/seat-ledger.ts';
import type { GameServices } from './services/game-services.ts';

/** Per-client limits every game room applies. */
export interface RoomLimits {
  /** Messages per second one client may send; more closes its connection. */
  readonly messagesPerSecond: number;
  /** How long a matchmade seat, or a connected client's join handshake, may take. */
  readonly seatReservationSeconds: number;
}

export interface GameContext extends ResidentContext {
  readonly tokens: GuestTokens;
  /** Seats and room creations per player and address on this node. */
  readonly seats: SeatLedger;
  readonly rooms: RoomLimits;
  /** Profiles, XP and the leaderboard: Resident's objects, or the stateless twin's API in stateless mode. */
  readonly services: GameServices;
}
