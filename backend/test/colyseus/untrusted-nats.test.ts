// Full backend nodes distrust what arrives over NATS for Colyseus too: presence messages, channels requests, room
// listings, and membership entries (what /api/nodes shows browsers). Garbage goes to the real subjects and buckets
// with a plain NATS client; the nodes drop and count it and keep matchmaking.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client } from '@colyseus/sdk';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { decodeStrings, encodeString } from '../../src/colyseus/presence/codec.ts';
import { PresenceSubjects } from '../../src/colyseus/presence/topics.ts';
import { MemberEntryCodec } from '../../src/objects/internal.ts';
import { type ColyseusCluster, startColyseusCluster } from '../../testing/colyseus-cluster.ts';
import { droppedIn, waitFor } from '../../testing/support.ts';

let cluster: ColyseusCluster;
let raw: NatsConnection;

before(async () => {
  cluster = await startColyseusCluster({ nodes: 2 });
  raw = await connect({ servers: cluster.nats.urls });
});
after(async () => {
  await raw?.close();
  await cluster?.close();
});

async function get(node: string, path: string): Promise<Response> {
  return fetch(`${cluster.node(node).endpoint}${path}`, { signal: AbortSignal.timeout(3000) });
}

async function dropped(node: string, kind: string): Promise<number> {
  return droppedIn(await (await get(node, '/metrics')).text(), kind);
}

/** Each node answers /health and matchmakes a room a client can join through the other node. */
async function assertServing(): Promise<void> {
  for (const node of ['node1', 'node2']) assert.equal((await get(node, '/health')).status, 200, `${node} /health`);
  const [a, b] = cluster.nodes.map((n) => new Client(n.endpoint));
  const room = await a!.joinOrCreate('tally', { name: `t${randomBytes(2).toString('hex')}` });
  const again = await b!.joinById(room.roomId, { name: 'second' });
  await Promise.all([room.leave(), again.leave()]);
}

/** Topics the nodes' presences subscribe to, from the same scatter-gather request `channels()` uses. */
async function topics(subjects: PresenceSubjects): Promise<string[]> {
  const found: string[] = [];
  const replies = await raw.requestMany(subjects.channels, encodeString('*'), { strategy: 'stall', stall: 300 });
  for await (const msg of replies) {
    const names = decodeStrings(msg.data);
    if (Array.isArray(names)) found.push(...names);
  }
  return found;
}

describe('presence on NATS', () => {
  test('garbage on topic subjects is dropped and counted; the nodes keep serving', async () => {
    const subjects = new PresenceSubjects(cluster.name);
    const subscribed = await topics(subjects);
    assert.ok(subscribed.length > 0, 'the nodes subscribe to topics');
    const before = await Promise.all(['node1', 'node2'].map((n) => dropped(n, 'presence_message')));
    const garbage = [Buffer.from('not msgpack'), Buffer.from([0xc1]), new Packr().pack(5), Buffer.from([0x92, 0x01])];
    for (const topic of subscribed) for (const bytes of garbage) raw.publish(subjects.topic(topic), bytes);
    raw.publish(subjects.channels, Buffer.from([0xc1]));
    await raw.flush();
    await waitFor(
      async () =>
        (await dropped('node1', 'presence_message')) + (await dropped('node2', 'presence_message')) >
        before[0]! + before[1]! + garbage.length,
      5000,
      'the garbage counted in the nodes metrics',
    );
    await assertServing();
  });

  test('a channels pattern built to backtrack is answered at once (it used to hang every node)', async () => {
    const subjects = new PresenceSubjects(cluster.name);
    const evil = `${'*'.repeat(40)}!`;
    const replies = await raw.requestMany(subjects.channels, encodeString(evil), {
      strategy: 'count',
      maxMessages: 2,
      maxWait: 3000,
    });
    const answers: unknown[] = [];
    for await (const msg of replies) answers.push(decodeStrings(msg.data));
    assert.deepEqual(answers, [[], []], 'both nodes answered: no topic ends with "!"');
    assert.deepEqual(new Set(await topics(subjects)).size > 0, true, 'ordinary patterns still match');
    await assertServing();
  });
});

describe('room listings in the rooms bucket', () => {
  test('values that are not listings are dropped and counted; matchmaking goes on', async () => {
    const rooms = await new Kvm(raw).open(`rsd_${cluster.name}_rooms`);
    const before = await dropped('node1', 'room_listing');
    const fields = { name: 'tally', roomId: 'fakeroom', processId: 'nowhere', clients: 0, maxClients: 10 };
    const garbage: Record<string, string> = {
      'not-json': 'this is { not JSON',
      'not-object': '[1,2]',
      fakeroom: JSON.stringify({ ...fields, clients: 1.5 }),
      fakeroom2: JSON.stringify({ ...fields, roomId: 'fakeroom2', maxClients: 1e308 }),
      fakeroom3: JSON.stringify({ ...fields, roomId: 'fakeroom3', locked: 'no' }),
      // Optional fields keep their types where present.
      fakeroom5: JSON.stringify({ ...fields, roomId: 'fakeroom5', processId: 5 }),
      fakeroom6: JSON.stringify({ ...fields, roomId: 'fakeroom6', clients: '1' }),
      fakeroom4: `{"name":"tally","roomId":"fakeroom4","processId":"x","clients":0,"maxClients":9,"metadata":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`,
    };
    for (const [key, value] of Object.entries(garbage)) await rooms.put(key, value);
    await waitFor(
      async () => (await dropped('node1', 'room_listing')) >= before + Object.keys(garbage).length,
      5000,
      'every bad listing counted',
    );
    const listed = (await (await get('node1', '/api/rooms')).json()) as { roomId: string }[];
    assert.ok(!listed.some((r) => r.roomId.startsWith('fakeroom')), 'no bad listing is shown');
    await assertServing();
  });
});

describe('/api/nodes', () => {
  test('lists only members whose entries are signed with the cluster key', async () => {
    const members = await new Kvm(raw).open(`rsd_${cluster.name}_members`);
    const forger = new MemberEntryCodec(cluster.name, randomBytes(32));
    const fake = (id: string) => ({
      id,
      incarnation: randomBytes(6).toString('hex'),
      role: 'host' as const,
      status: 'active' as const,
      address: 'https://evil.example',
    });
    const before = await dropped('node1', 'member_signature');
    const deadline = Date.now() + 2000;
    const seen = new Set<string>();
    for (let seq = 1; Date.now() < deadline; seq++) {
      await members.put('evil1', JSON.stringify({ ...fake('evil1'), seq }));
      await members.put('evil2', forger.encode({ info: fake('evil2'), seq, left: false }));
      for (const node of ['node1', 'node2']) {
        for (const n of (await (await get(node, '/api/nodes')).json()) as { id: string }[]) seen.add(n.id);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual([...seen].sort(), ['node1', 'node2']);
    assert.ok(
      (await dropped('node1', 'member_signature')) > before,
      'the forged entries reached node1 and were dropped',
    );
    await assertServing();
  });
});
