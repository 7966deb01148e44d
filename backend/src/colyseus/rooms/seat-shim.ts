// The one private Colyseus API the room keeper needs: reserving a seat for a client that reconnects with the token
// it held on the room's old node. Kept here so a Colyseus upgrade that changes it breaks one file.
import type { Room } from '@colyseus/core';

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
export function restoredSeatSeconds(room: Room): number {
  return Math.max((room as unknown as WithReserveSeat).seatReservationTimeout, 30);
}

/** allowReconnection: the client's reconnect request finds its seat by its old reconnection token. */
export function reserveReturningSeat(room: Room, sessionId: string, auth: unknown, token: string): Promise<boolean> {
  const r = room as unknown as WithReserveSeat;
  return r._reserveSeat(sessionId, {}, auth, restoredSeatSeconds(room), true, token);
}
