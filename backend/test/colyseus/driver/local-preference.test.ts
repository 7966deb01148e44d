import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, startNats } from '@resident/testing';
import { NatsDriver } from '../../../src/colyseus/driver/index.ts';
import { connectNats } from '../../../src/objects/internal.ts';
import { eventually, listing, randomCluster, silentLog } from './fixtures.ts';

// Two nodes' drivers on one bucket; node A's prefers its own rooms among equals, node B's has no process id yet.
describe("findOne prefers the answering node's own rooms among equals", () => {
  let nats: NatsCluster;
  let nc: NatsConnection;
  let a: NatsDriver;
  let b: NatsDriver;
  const name = 'lobby';
  const onB = listing({ name, processId: 'proc-B', clients: 3 });
  const onA = listing({ name, processId: 'proc-A', clients: 3 });

  before(async () => {
    nats = await startNats();
    nc = await connectNats(nats.urls, 'preference');
    const cluster = randomCluster();
    a = await NatsDriver.open(nc, { cluster, log: silentLog, localProcessId: () => 'proc-A' });
    b = await NatsDriver.open(nc, { cluster, log: silentLog, localProcessId: () => undefined });
    // B's room is listed first, so listing order alone would pick it everywhere.
    await b.insert(onB);
    await b.insert(onA);
    await eventually('both listings seen by both nodes', async () => (await a.query({ name })).length === 2);
    await eventually('…and by B', async () => (await b.query({ name })).length === 2);
  });
  after(async () => {
    await a.shutdown();
    await b.shutdown();
    await nc.close();
    await nats.close();
  });

  it('node A gets its own room; a node without a process id gets the first in listing order', async () => {
    assert.equal((await a.find({ name, locked: false }))?.roomId, onA.roomId);
    assert.equal((await b.find({ name, locked: false }))?.roomId, onB.roomId);
  });

  it("the room definition's sort still comes first: a fuller room elsewhere beats an emptier local one", async () => {
    assert.equal((await a.find({ name }, { clients: -1 }))?.roomId, onA.roomId, 'equal counts: local');
    await b.update(onB, { $inc: { clients: 1 } });
    await eventually('A sees the new count', async () => (await a.find({ roomId: onB.roomId }))?.clients === 4);
    assert.equal((await a.find({ name }, { clients: -1 }))?.roomId, onB.roomId);
  });

  it('conditions still decide: a locked local room is not offered', async () => {
    await a.update(onA, { $set: { locked: true } });
    await eventually('A sees its room locked', async () => (await a.find({ roomId: onA.roomId }))?.locked === true);
    assert.equal((await a.find({ name, locked: false }))?.roomId, onB.roomId);
  });
});
