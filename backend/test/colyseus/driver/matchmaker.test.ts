import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalPresence, type MatchMakerDriver, matchMaker, Room } from '@colyseus/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, startNats } from '@resident/testing';
import { NatsDriver } from '../../../src/colyseus/driver/index.ts';
import { connectNats } from '../../../src/objects/internal.ts';
import { eventually, listing, randomCluster, silentLog } from './fixtures.ts';

/** Seats reserved here are never taken (no client connects), so they lapse soon and the rooms dispose. */
const SEAT_SECONDS = 0.5;

class Duel extends Room {
  override maxClients = 2;
  override seatReservationTimeout = SEAT_SECONDS;
}

/** Records which driver methods the matchmaker calls, passing every call through. */
function recording(driver: NatsDriver): { driver: MatchMakerDriver; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(driver, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return value.apply(target, args);
      };
    },
  });
  return { driver: proxy, calls };
}

// Colyseus keeps its matchmaker in module state: this file runs it once, in its own test process.
describe('Colyseus 0.18 matchmaker on NatsDriver', () => {
  let nats: NatsCluster | undefined;
  let nc: NatsConnection | undefined;
  let driver: NatsDriver | undefined;
  let calls: string[] = [];

  before(async () => {
    nats = await startNats();
    nc = await connectNats(nats.urls, 'matchmaker');
    driver = new NatsDriver(nc, { cluster: randomCluster(), log: silentLog });
    const recorded = recording(driver);
    calls = recorded.calls;
    await matchMaker.setup(new LocalPresence(), recorded.driver);
    await matchMaker.accept();
    matchMaker.defineRoomType('duel', Duel);
  });
  after(async () => {
    await driver?.shutdown();
    await nc?.close();
    await nats?.close();
  });

  it('boots the driver, then joinOrCreate creates with insert and counts seats with update', async () => {
    assert.deepEqual(calls.splice(0), ['boot']);
    const first = await matchMaker.joinOrCreate('duel', {});
    const created = calls.splice(0);
    assert.ok(created.includes('findOne') && created.includes('insert') && created.includes('update'), `${created}`);

    const second = await matchMaker.joinOrCreate('duel', {});
    assert.equal(second.roomId, first.roomId, 'the second player joins the listed room');
    assert.deepEqual(calls.splice(0), ['findOne', 'update']);
    const listed = await must(driver).find({ roomId: first.roomId });
    // A seat reservation counts as a client; the room locks itself when full.
    assert.equal(listed?.clients, 2);
    assert.equal(listed?.locked, true);

    const third = await matchMaker.joinOrCreate('duel', {});
    assert.notEqual(third.roomId, first.roomId, 'a full room is not offered');
    assert.equal((await must(driver).query({ name: 'duel' })).length, 2);
  });

  it('lapsed seat reservations are counted down, and the emptied rooms remove their listings', async () => {
    calls.splice(0);
    await eventually(
      'both rooms disposed',
      async () => (await must(driver).query({ name: 'duel' })).length === 0,
      3_000,
    );
    assert.ok(calls.includes('update') && calls.includes('remove'), `${calls}`);
  });

  it('graceful shutdown ends with cleanup(processId), removing whatever this process still lists', async () => {
    const leftover = listing({ name: 'duel', processId: matchMaker.processId });
    await must(driver).persist(leftover, true);
    calls.splice(0);
    await matchMaker.gracefullyShutdown();
    assert.equal(calls.at(-1), 'cleanup', `${calls}`);
    assert.equal(await must(driver).has(leftover.roomId), false);
  });
});

function must<T>(value: T | undefined): T {
  assert.ok(value !== undefined, 'not set up');
  return value;
}
