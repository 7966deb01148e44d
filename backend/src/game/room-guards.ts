// What every game room does so one client cannot cost the others: the node's message rate per client, how long a
// matchmade seat and a connected client's join handshake may take, seats counted per player and address, and byte
// messages that must really be bytes (a JSON frame can name a byte handler too).
import { type Client, ClientState, type Room } from '@colyseus/core';
import { CloseCode as GameClose } from '@resident/shared/game';
import { holdSeat, releaseSeat } from './auth/room-auth.ts';
import type { SeatLedger } from './auth/seat-ledger.ts';
import type { RoomLimits } from './context.ts';

/** In onCreate: the node's per-client limits for this room (seatJoined reads the reservation time back). */
export function applyRoomLimits(room: Room, limits: RoomLimits): void {
  room.maxMessagesPerSecond = limits.messagesPerSecond;
  room.seatReservationTimeout = limits.seatReservationSeconds;
}

/** In onJoin, before anything else: counts the client's seat (a ServerError when the player or address holds too many on this node). */
export function seatJoined(seats: SeatLedger, client: Client): void {
  holdSeat(seats, client, true);
}

/**
 * At the end of onJoin, once the server's own part of the join is done: the client must acknowledge the join within
 * the reservation time or it is dropped. Not earlier: a join the server is slow to finish (a Player object activating
 * under load) is not the client's fault.
 */
export function expectJoinAck(room: Room, client: Client): void {
  room.clock.setTimeout(() => {
    if (client.state === ClientState.JOINING) client.leave(GameClose.joinTimeout, 'join handshake not completed');
  }, room.seatReservationTimeout * 1000);
}

/** In onReconnect: the seat counts again (it was admitted before). */
export function seatReturned(seats: SeatLedger, client: Client): void {
  holdSeat(seats, client, false);
}

/** In onLeave: the seat is free. */
export function seatLeft(seats: SeatLedger, client: Client): void {
  releaseSeat(seats, client);
}

/** `onMessageBytes` whose handler only ever sees bytes; anything else (no payload, a string, a map) is `refused`. */
export function onBytes<C extends Client>(
  room: Room,
  type: string,
  handler: (client: C, bytes: Uint8Array) => void,
  refused: (client: C) => void,
): void {
  room.onMessageBytes(type, (client: C, bytes: unknown) =>
    bytes instanceof Uint8Array ? handler(client, bytes) : refused(client),
  );
}
