// Colyseus rooms across three real node processes on NATS: matchmaking from any node, liveness, failover, drain.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@colyseus/sdk';
import type { NatsConnection } from '@nats-io/transport-node';
import { ResilientRoom } from '@resident/shared/net';
import { NatsDriver } from '../../src/colyseus/driver/index.ts';
import { connectNats } from '../../src/objects/internal.ts';
import { type ColyseusCluster, startColyseusCluster } from '../../testing/colyseus-cluster.ts';
import type { TallyState } from '../../testing/rooms.ts';
import { waitFor } from '../../testing/support.ts';

let cluster: ColyseusCluster;
let driver: NatsDriver;
let observer: NatsConnection;
const rooms: { leave(): Promise<unknown> }[] = [];

before(async () => {
  cluster = await startColyseusCluster({ nodes: 3 });
  observer = await connectNats(cluster.nats.urls, 'observer');
  driver = await NatsDriver.open(observer, { cluster: cluster.name });
});
after(async () => {
  // a room on a killed node never answers leave(): bound the wait
  await Promise.allSettled(rooms.map((r) => Promise.race([r.leave(), new Promise((res) => setTimeout(res, 1000))])));
  await driver?.shutdown();
  await observer?.close();
  await cluster?.close();
});

const listing = async (roomId: string) => (await driver.query({ roomId }))[0];

describe('matchmaking across nodes', () => {
  test('joinOrCreate, join and joinById sent to different nodes land in the same room', async () => {
    const [a, b, c] = cluster.nodes.map((n) => new Client(n.endpoint));
    const r1 = await a!.joinOrCreate<TallyState>('tally', { name: 'one', mode: 'mm' });
    const r2 = await b!.join<TallyState>('tally', { name: 'two' });
    const r3 = await c!.joinById<TallyState>(r1.roomId, { name: 'three' });
    assert.equal(r2.roomId, r1.roomId);
    assert.equal(r3.roomId, r1.roomId);
    r2.send('inc');
    await waitFor(() => r1.state.count === 1 && r3.state.count === 1, 5000, 'every client to see the increment');
    await waitFor(async () => (await listing(r1.roomId))?.clients === 3, 1000, 'the listing to count 3 clients');
    for (const r of [r1, r2, r3]) await r.leave();
  });

  test('a dropped client reconnects through another node', async () => {
    const [a, b] = cluster.nodes.map((n) => new Client(n.endpoint));
    const room = await a!.create<TallyState>('tally', { name: 'x' });
    const token = room.reconnectionToken;
    room.reconnection.enabled = false;
    (room as unknown as { connection: { close(code: number): void } }).connection.close(4010);
    const back = await waitForValue(() => b!.reconnect<TallyState>(token), 5000);
    assert.equal(back.roomId, room.roomId);
    await back.leave();
  });
});

describe('liveness', () => {
  test('a room of a killed node leaves the listings within 5 s; a paused node keeps its rooms', async () => {
    // Colyseus places new rooms on the least busy node: create rooms until two nodes host one each.
    const client = new Client(cluster.nodes[0]!.endpoint);
    const byHost = new Map<string, string>();
    for (let i = 0; i < 12 && byHost.size < 2; i++) {
      const room = await client.create('plain');
      rooms.push(room);
      const host = (await waitForValue(async () => (await listing(room.roomId))!.publicAddress!, 2000)) as string;
      if (!byHost.has(host)) byHost.set(host, room.roomId);
      await new Promise((r) => setTimeout(r, 300)); // room counts reach the other nodes through presence
    }
    const hosts = [...byHost];
    assert.ok(hosts.length >= 2, 'rooms landed on at least two nodes');
    const [victimAddress, doomed] = hosts[0]!;
    const [pausedAddress, kept] = hosts[1]!;
    const nodeAt = (address: string) => cluster.nodes.find((n) => n.endpoint.endsWith(address))!;
    const paused = nodeAt(pausedAddress);
    paused.process.pause();
    await new Promise((r) => setTimeout(r, 600)); // a missed heartbeat or two, well under the failure bound
    paused.process.resume();
    await nodeAt(victimAddress).process.kill();
    const killedAt = Date.now();
    await waitFor(async () => (await listing(doomed)) === undefined, 5000, 'the dead room to leave the listings');
    console.log(`dead node's room left the listings after ${Date.now() - killedAt} ms`);
    assert.ok(await listing(kept), 'the briefly paused node still lists its room');
  });
});

async function waitForValue<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export { ResilientRoom };
