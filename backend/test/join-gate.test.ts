// The join gate counts joins in progress: matchmaking requests in flight and seats handed out whose clients have
// not joined yet. Seats that pile up unjoined refuse more matchmaking with 503 and Retry-After, instead of piling
// up further and expiring; a join or a lapse frees their place. A request in flight counts once, not also as the
// seat its onAuth reserved.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AuthContext, defineRoom, type RoomOptions } from '@colyseus/core';
import { NodeRoom } from '../src/colyseus/rooms/node-room.ts';
import { admit } from '../src/game/auth/room-auth.ts';
import type { GameContext } from '../src/game/context.ts';
import { LoungeRoom } from '../src/game/lounge-room.ts';
import { guestLogin } from '../testing/game-client.ts';
import { type GameNodes, startGameNodes } from '../testing/game-nodes.ts';
import { type GameTestServer, startGameTestServer } from '../testing/game-test-server.ts';
import { joinSeat, matchmake, type Seat } from '../testing/raw-client.ts';
import { signal } from '../testing/support.ts';

let nodes: GameNodes;
let port: number;

describe('one node', () => {
  before(async () => {
    nodes = await startGameNodes({
      nodes: 1,
      cluster: false,
      env: { RESIDENT_MAX_PENDING_JOINS: '2', RESIDENT_SEAT_RESERVATION: '2' },
    });
    port = Number(new URL(nodes.urls[0]!).port);
  });
  after(() => nodes?.stop());

  const seat = (name: string) => seatOn(nodes.urls[0]!, name);

  test('seats not yet joined count as joins in progress; joining or lapsing frees them', {
    timeout: 30_000,
  }, async () => {
    const a = await seat('gate-a');
    const b = await seat('gate-b');
    assert.deepEqual([a.status, b.status], [200, 200]);
    const refused = await seat('gate-c');
    assert.equal(refused.status, 503, 'two seats await their join: the gate of 2 is full');
    assert.match(refused.error ?? '', /0 matchmaking requests in flight and 2 seats awaiting their join/);
    const ws = await joinSeat(port, a.seat, a.token);
    try {
      assert.equal((await seat('gate-d')).status, 200, "a's join freed a place");
      assert.equal((await seat('gate-e')).status, 503, "d's seat took it again");
      // b's and d's seats lapse after the reservation time (2 s) and its grace (1 s).
      await new Promise((r) => setTimeout(r, 3500));
      assert.equal((await seat('gate-f')).status, 200, 'lapsed seats no longer count');
    } finally {
      ws.drop();
    }
  });
});

async function seatOn(url: string, name: string) {
  const { token } = await guestLogin(url, name);
  const { status, json } = await matchmake(Number(new URL(url).port), 'joinOrCreate', 'lounge', token);
  return { status, seat: json as Seat, token, ...(json.error ? { error: json.error } : {}) };
}

describe('two nodes', () => {
  let cluster: GameNodes;
  before(async () => {
    cluster = await startGameNodes({ nodes: 2, cluster: true, env: { RESIDENT_MAX_PENDING_JOINS: '1' } });
  });
  after(() => cluster?.stop());

  test('a seat handed out in a room on another node stops counting here at once', { timeout: 30_000 }, async () => {
    const [a, b] = cluster.urls as [string, string];
    const first = await seatOn(b, 'gate-b1');
    assert.equal(first.status, 200, first.error);
    const ws = await joinSeat(Number(new URL(b).port), first.seat, first.token);
    try {
      const away = await seatOn(a, 'gate-a1');
      assert.equal(away.status, 200, away.error);
      assert.equal(away.seat.roomId, first.seat.roomId, "node a has no lounge: its seat is in b's");
      const next = await seatOn(a, 'gate-a2');
      assert.equal(next.status, 200, `a counts no seat of b's room as awaiting here: ${next.error}`);
    } finally {
      ws.drop();
    }
  });
});

describe('a matchmaking request in flight', () => {
  /** Lets the test hold a `held` request in flight after its onAuth reserved the seat. */
  const flight = { reached: signal(), release: signal() };
  class HeldRoom extends NodeRoom<RoomOptions, GameContext> {
    static override async authenticate(game: GameContext, token: string, _options: unknown, auth: AuthContext) {
      const claims = admit(game, token, auth);
      flight.reached.fire();
      await flight.release.fired;
      return claims;
    }
  }
  let server: GameTestServer;
  before(async () => {
    server = await startGameTestServer({
      rooms: { held: defineRoom(HeldRoom), lounge: defineRoom(LoungeRoom) },
      env: { RESIDENT_MAX_PENDING_JOINS: '2' },
    });
  });
  after(() => server?.stop());

  const seatIn = async (room: string, name: string) => {
    const { token } = await guestLogin(server.url, name);
    const { status, json } = await matchmake(Number(new URL(server.url).port), 'joinOrCreate', room, token);
    return { status, error: json.error };
  };

  test('counts once: its reserved seat does not await a join until matchmaking answers', {
    timeout: 30_000,
  }, async () => {
    const held = seatIn('held', 'flight-a');
    await flight.reached.fired;
    const next = await seatIn('lounge', 'flight-b');
    assert.equal(next.status, 200, `1 request in flight of a gate of 2: ${next.error}`);
    const full = await seatIn('lounge', 'flight-c');
    assert.equal(full.status, 503);
    assert.match(full.error ?? '', /1 matchmaking requests in flight and 1 seats awaiting their join/);
    flight.release.fire();
    assert.equal((await held).status, 200);
  });
});
