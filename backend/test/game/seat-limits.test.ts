// Room and seat limits per player and per address on a real node: each test speaks from its own loopback address
// (127.0.0.x), so the per-address counts of one test do not touch another's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { guestLogin } from '../../testing/game-client.ts';
import { type GameNodes, startGameNodes } from '../../testing/game-nodes.ts';
import { joinSeat, matchmake, type Seat } from '../../testing/raw-client.ts';

const LIMITS = { seatsPerPlayer: 3, seatsPerAddress: 5, roomsPerPlayer: 2, roomsPerAddress: 3, reservation: 2 };
let nodes: GameNodes;
let port: number;

before(async () => {
  nodes = await startGameNodes({
    nodes: 1,
    cluster: false,
    env: {
      RESIDENT_SEATS_PER_PLAYER: String(LIMITS.seatsPerPlayer),
      RESIDENT_SEATS_PER_ADDRESS: String(LIMITS.seatsPerAddress),
      RESIDENT_ROOMS_PER_PLAYER: String(LIMITS.roomsPerPlayer),
      RESIDENT_ROOMS_PER_ADDRESS: String(LIMITS.roomsPerAddress),
      RESIDENT_SEAT_RESERVATION: String(LIMITS.reservation),
    },
  });
  port = Number(new URL(nodes.urls[0]!).port);
});
after(() => nodes?.stop());

const token = async (name: string) => (await guestLogin(nodes.urls[0]!, name)).token;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function assertRefused(res: { status: number | undefined; json: { error?: string } }, code: string): void {
  assert.equal(res.status, 429, JSON.stringify(res.json));
  assert.match(String(res.json.error), new RegExp(`^${code}: `));
}

describe('room creation', () => {
  test('one player creates at most --rooms-per-player rooms a minute', async () => {
    const t = await token('Builder');
    const from = { localAddress: '127.0.0.2' };
    for (let i = 0; i < LIMITS.roomsPerPlayer; i++) {
      assert.equal((await matchmake(port, 'create', 'arena', t, from)).status, 200);
    }
    assertRefused(await matchmake(port, 'create', 'arena', t, from), 'too_many_rooms');
    assert.equal((await matchmake(port, 'joinOrCreate', 'lounge', t, from)).status, 200, 'joining is still fine');
  });

  test('one address creates at most --rooms-per-address rooms a minute, whoever asks', async () => {
    const from = { localAddress: '127.0.0.3' };
    for (let i = 0; i < LIMITS.roomsPerAddress; i++) {
      assert.equal((await matchmake(port, 'create', 'arena', await token(`Mason ${i}`), from)).status, 200);
    }
    assertRefused(await matchmake(port, 'create', 'arena', await token('Mason late'), from), 'too_many_rooms');
    const elsewhere = await matchmake(port, 'create', 'arena', await token('Mason far'), { localAddress: '127.0.0.4' });
    assert.equal(elsewhere.status, 200, 'another address is not affected');
  });
});

describe('held seats', () => {
  test('join-and-drop cycles: dropped seats held for a reconnection count, and the next join is refused', {
    timeout: 30_000,
  }, async () => {
    const t = await token('Dropper');
    const from = { localAddress: '127.0.0.5' };
    for (let i = 0; i < LIMITS.seatsPerPlayer; i++) {
      const seat = await matchmake(port, 'joinOrCreate', 'arena', t, from);
      assert.equal(seat.status, 200, JSON.stringify(seat.json));
      const ws = await joinSeat(port, seat.json as Seat, t, from);
      ws.drop(); // no close frame: the arena holds the seat for a reconnection
      await ws.closed;
    }
    await sleep((LIMITS.reservation + 1.5) * 1000); // past the reservations: what counts now are the held seats
    assertRefused(await matchmake(port, 'joinOrCreate', 'arena', t, from), 'too_many_seats');
    const other = await matchmake(port, 'joinOrCreate', 'arena', await token('Other'), from);
    assert.equal(other.status, 200, 'another player on the same address still gets a seat');
  });

  test('one address holds at most --seats-per-address seats, across players', async () => {
    const from = { localAddress: '127.0.0.6' };
    for (let i = 0; i < LIMITS.seatsPerAddress; i++) {
      assert.equal((await matchmake(port, 'joinOrCreate', 'lounge', await token(`Crowd ${i}`), from)).status, 200);
    }
    assertRefused(await matchmake(port, 'joinOrCreate', 'lounge', await token('Crowd late'), from), 'too_many_seats');
  });

  test('a reserved seat whose join never arrives expires after --seat-reservation seconds', {
    timeout: 30_000,
  }, async () => {
    const t = await token('Late');
    const from = { localAddress: '127.0.0.7' };
    const seat = (await matchmake(port, 'joinOrCreate', 'lounge', t, from)).json as Seat;
    await sleep((LIMITS.reservation + 1.5) * 1000);
    const late = await joinSeat(port, seat, t, { ...from, ack: false });
    await late.closed;
    assert.ok((late.closeCode ?? 0) >= 4000, `the expired seat is refused (close code ${late.closeCode})`);
  });

  test('a lapsed reservation no longer counts against the player', { timeout: 30_000 }, async () => {
    const t = await token('Absent');
    const from = { localAddress: '127.0.0.9' };
    for (let i = 0; i < LIMITS.seatsPerPlayer; i++) {
      assert.equal((await matchmake(port, 'joinOrCreate', 'lounge', t, from)).status, 200);
    }
    assertRefused(await matchmake(port, 'joinOrCreate', 'lounge', t, from), 'too_many_seats');
    await sleep((LIMITS.reservation + 1.5) * 1000);
    assert.equal((await matchmake(port, 'joinOrCreate', 'lounge', t, from)).status, 200, 'the player may join again');
  });

  test('a client that connects but never finishes the join handshake is dropped after the reservation time', async () => {
    const t = await token('Halfway');
    const from = { localAddress: '127.0.0.8' };
    const seat = (await matchmake(port, 'joinOrCreate', 'arena', t, from)).json as Seat;
    const ws = await joinSeat(port, seat, t, { ...from, ack: false });
    await Promise.race([
      ws.closed,
      sleep((LIMITS.reservation + 5) * 1000).then(() => assert.fail('still connected after the reservation time')),
    ]);
    assert.equal(ws.closeCode, 4408);
  });
});
