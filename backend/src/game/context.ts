// What the game's rooms need from the node they run on: references to objects, and the node's id for display.
// Set once by the node at start-up, like Colyseus's own process-wide matchmaker.
import type { Refs } from '../objects/index.ts';
import type { GuestTokens } from './auth/guest-tokens.ts';
import type { SeatLedger } from './auth/seat-ledger.ts';

/** Per-client limits every game room applies. */
export interface RoomLimits {
  /** Messages per second one client may send; more closes its connection. */
  readonly messagesPerSecond: number;
  /** How long a matchmade seat, or a connected client's join handshake, may take. */
  readonly seatReservationSeconds: number;
}

export interface GameContext {
  readonly objects: Refs;
  readonly nodeId: string;
  readonly tokens: GuestTokens;
  /** Seats and room creations per player and address on this node. */
  readonly seats: SeatLedger;
  readonly rooms: RoomLimits;
}

let current: GameContext | undefined;

export function setGameContext(ctx: GameContext): void {
  current = ctx;
}

export function game(): GameContext {
  if (!current) throw new Error('game context not set: start the node with startNode() before creating rooms');
  return current;
}

/** Node id for objects (they run outside any room); "local" before the node starts. */
export function hostNodeId(): string {
  return current?.nodeId ?? 'local';
}
