// The join handshake timer counts the client's time, not the server's: a join whose onJoin is slow (a Player object
// activating under load) completes, even when it takes longer than the reservation time.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, defineRoom, Room } from '@colyseus/core';
import { applyRoomLimits, expectJoinAck } from '../../src/game/room-guards.ts';
import { type GameTestServer, startGameTestServer } from '../../testing/game-test-server.ts';

const RESERVATION_S = 1;

/** Joins the way the game's rooms do, with the server's part of the join taking 2.5× the reservation time. */
class SlowJoinRoom extends Room {
  override onCreate(): void {
    applyRoomLimits(this, { messagesPerSecond: 100, seatReservationSeconds: RESERVATION_S });
  }
  override async onJoin(client: Client): Promise<void> {
    await sleep(RESERVATION_S * 2500);
    expectJoinAck(this, client);
  }
}

let server: GameTestServer;
before(async () => {
  server = await startGameTestServer({ rooms: { slow: defineRoom(SlowJoinRoom) } });
});
after(() => server?.stop());

test('a join the server is slow to finish is not dropped by the handshake timer', { timeout: 20_000 }, async () => {
  const { sdk } = await server.client('Patient');
  const room = await sdk.joinOrCreate('slow');
  let closed: number | undefined;
  room.onLeave((code) => {
    closed = code;
  });
  await sleep(RESERVATION_S * 2000);
  assert.equal(closed, undefined, 'still in the room after twice the reservation time');
  await room.leave();
});
