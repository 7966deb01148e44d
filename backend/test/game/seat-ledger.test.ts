// The seat ledger's bookkeeping, given the time: reservations lapse, held seats count until released, and seats
// a node did not hand out itself are checked when their client joins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LimitError, SeatLedger } from '../../src/game/auth/seat-ledger.ts';

const limits = {
  seatsPerPlayer: 2,
  seatsPerAddress: 3,
  roomsPerPlayerPerMinute: 2,
  roomsPerAddressPerMinute: 3,
  seatReservationSeconds: 5,
};
const refused = (code: string) => (err: unknown) => err instanceof LimitError && err.code === code;

test('reservations count until they lapse; joined seats count until released', () => {
  const ledger = new SeatLedger(limits);
  ledger.reserve('s1', 'p', 'a', 0);
  ledger.reserve('s2', 'p', 'a', 0);
  assert.throws(() => ledger.reserve('s3', 'p', 'a', 0), refused('too_many_seats'));
  ledger.hold('s1', 'p', 'a', true, 1000); // s1's client joined
  assert.deepEqual(ledger.held('p', 'a', 10_000), { player: 1, address: 1 }, 's2 lapsed, s1 is held');
  ledger.reserve('s3', 'p', 'a', 10_000);
  assert.throws(() => ledger.reserve('s4', 'p', 'a', 10_000), refused('too_many_seats'));
  ledger.release('s1');
  ledger.reserve('s4', 'p', 'a', 10_000);
  assert.deepEqual(ledger.held('p', 'a', 10_000), { player: 2, address: 2 });
});

test('seats awaiting their join: handed out, neither joined nor lapsed', () => {
  const ledger = new SeatLedger(limits);
  for (const [s, at] of [
    ['s1', 0],
    ['s2', 0],
    ['s3', 2000],
  ] as const) {
    ledger.reserve(s, `p${s}`, `a${s}`, at);
    ledger.handedOut(s);
  }
  assert.equal(ledger.awaitingJoin(2000), 3);
  ledger.hold('s1', 'ps1', 'as1', true, 2500);
  assert.equal(ledger.awaitingJoin(2500), 2, 's1 joined');
  ledger.release('s3');
  assert.equal(ledger.awaitingJoin(2500), 1, 's3 was given up');
  assert.equal(ledger.awaitingJoin(10_000), 0, 's2 lapsed');
  ledger.hold('s9', 'p9', 'a9', true, 10_000);
  assert.equal(ledger.awaitingJoin(10_000), 0, 'a join this node did not hand out never awaited one here');
});

test('a seat whose matchmaking request is still in flight does not await its join yet', () => {
  const ledger = new SeatLedger(limits);
  ledger.reserve('s1', 'p1', 'a1', 0);
  assert.equal(ledger.awaitingJoin(0), 0, 'its request counts as in flight: not twice');
  assert.equal(ledger.held('p1', 'a1', 0).player, 1, "it counts against the player's seats at once");
  ledger.handedOut('s1');
  assert.equal(ledger.awaitingJoin(0), 1);
  ledger.reserve('s2', 'p2', 'a2', 0);
  ledger.release('s2'); // its request failed
  ledger.reserve('s3', 'p3', 'a3', 0); // its request never answered: it lapses all the same
  assert.equal(ledger.awaitingJoin(0), 1);
  assert.equal(ledger.awaitingJoin(10_000), 0);
  assert.equal(ledger.held('p3', 'a3', 10_000).player, 0, 's3 lapsed');
});

test('an address is limited across players', () => {
  const ledger = new SeatLedger(limits);
  for (const p of ['p1', 'p2', 'p3']) ledger.reserve(`s-${p}`, p, 'a', 0);
  assert.throws(() => ledger.reserve('s-p4', 'p4', 'a', 0), refused('too_many_seats'));
  ledger.reserve('s-p5', 'p5', 'b', 0);
});

test('a join this node did not reserve is checked; a reconnection is not', () => {
  const ledger = new SeatLedger(limits);
  ledger.hold('s1', 'p', 'a', true, 0);
  ledger.hold('s2', 'p', 'a', true, 0);
  assert.throws(() => ledger.hold('s3', 'p', 'a', true, 0), refused('too_many_seats'));
  ledger.hold('s1', 'p', 'a', true, 0); // already counted: not refused
  ledger.hold('s3', 'p', 'a', false, 0); // a returning client after a failover
  assert.equal(ledger.held('p', 'a', 0).player, 3);
});

test('room creations per player and per address, refilled over a minute', () => {
  const ledger = new SeatLedger(limits);
  ledger.createRoom('p', 'a', 0);
  ledger.createRoom('p', 'a', 0);
  assert.throws(() => ledger.createRoom('p', 'a', 0), refused('too_many_rooms'));
  ledger.createRoom('q', 'a', 0);
  assert.throws(() => ledger.createRoom('r', 'a', 0), refused('too_many_rooms'));
  ledger.createRoom('p', 'a', 60_000);
});
