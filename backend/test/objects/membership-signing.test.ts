// Membership entries are signed with the cluster's key: forged, tampered or replayed entries written straight into
// the members bucket never make a member, so they get no calls and no shards.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { deriveMembershipKey, type MemberInfo, ObjectRuntime } from '../../src/objects/index.ts';
import { beatSubject, inboxSubject, internals, MemberEntryCodec } from '../../src/objects/internal.ts';
import { Echo } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';
import { droppedIn, quietLog, TEST_MEMBERSHIP_KEY, waitFor } from '../../testing/support.ts';

let cluster: RuntimeCluster;
let client: ObjectRuntime;
let raw: NatsConnection;
let members: KV;

before(async () => {
  cluster = await startRuntimeCluster({ nodes: 2 });
  client = await cluster.client();
  raw = await connect({ servers: cluster.nats.urls });
  members = await new Kvm(raw).open(`rsd_${cluster.name}_members`);
});
after(async () => {
  await raw?.close();
  await cluster?.close();
});

async function dropped(node: string, kind: string): Promise<number> {
  return droppedIn(await cluster.metrics(node), kind);
}

function host(id: string): MemberInfo {
  return { id, incarnation: randomBytes(6).toString('hex'), role: 'host', status: 'active', address: 'ws://evil:1' };
}

/** Writes each entry every 100 ms (a live member's pace) until `stop` resolves. */
async function keepWriting(entries: [string, () => Uint8Array | string][], stop: Promise<unknown>) {
  let done = false;
  const end = () => {
    done = true;
  };
  stop.then(end, end);
  while (!done) {
    for (const [key, value] of entries) await members.put(key, value());
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the membership key', () => {
  test('a host refuses to start without one, or with one too short to be a key', async () => {
    const start = (membershipKey?: Uint8Array) =>
      ObjectRuntime.start({
        classes: [Echo],
        nats: { connection: raw, cluster: cluster.name, ...(membershipKey ? { membershipKey } : {}) },
        log: quietLog(),
      });
    await assert.rejects(start(), /a cluster host needs nats\.membershipKey/);
    await assert.rejects(start(new Uint8Array(16)), /at least 32 bytes/);
  });

  test('a caller-only client without one works, and sends the hosts nothing unsigned to drop', async () => {
    const before = await dropped('node1', 'member_signature');
    const keyless = await ObjectRuntime.start({
      classes: [Echo],
      role: 'client',
      nats: { connection: raw, cluster: cluster.name },
      log: quietLog(),
    });
    try {
      const where = await Promise.all(Array.from({ length: 20 }, (_, i) => keyless.get(Echo, `kl${i}`).where()));
      assert.deepEqual(new Set(where), new Set(['node1', 'node2']));
      await new Promise((r) => setTimeout(r, 1000)); // five heartbeat periods
      assert.equal(await dropped('node1', 'member_signature'), before, 'no unsigned entry or heartbeat reached node1');
      assert.equal(await members.get(keyless.nodeId), null, 'it is not listed in the members bucket');
    } finally {
      await keyless.stop();
    }
  });

  test('nodes derive it from their shared secret, one key per cluster', () => {
    const a = deriveMembershipKey('the same secret', 'one');
    assert.equal(a.length, 32);
    assert.deepEqual(deriveMembershipKey('the same secret', 'one'), a);
    assert.notDeepEqual(deriveMembershipKey('the same secret', 'two'), a);
    assert.notDeepEqual(deriveMembershipKey('another secret', 'one'), a);
  });
});

describe('signed membership entries', () => {
  test('forged entries (unsigned, wrong key, tampered) make no member, get no call and no shard', async () => {
    const forger = new MemberEntryCodec(cluster.name, randomBytes(32));
    const unsigned = host('fake1');
    const wrongKey = host('fake2');
    const stolen = (await members.get('node1'))!.json<Record<string, unknown>>();
    let seq = 1_000_000;
    const inboxes = ['fake1', 'fake2', 'fake3'].map((id) => raw.subscribe(inboxSubject(cluster.name, id)));
    const beforeDrops = await dropped('node1', 'member_signature');
    const addressBefore = client.membership.alive().get('node1')?.address;

    const window = new Promise((r) => setTimeout(r, 2500));
    const writing = keepWriting(
      [
        ['fake1', () => JSON.stringify({ ...unsigned, seq: seq++ })],
        ['fake2', () => forger.encode({ info: wrongKey, seq: seq++, left: false })],
        // A real node's signed entry under another id, and with its address changed.
        ['fake3', () => JSON.stringify({ ...stolen, id: 'fake3', seq: seq++ })],
        ['node1', () => JSON.stringify({ ...stolen, address: 'ws://evil:2', seq: seq++ })],
      ],
      window,
    );
    const calls = [];
    for (let i = 0; i < 200; i++) calls.push(client.get(Echo, `forged${i}`).where());
    const where = await Promise.all(calls);
    await writing;

    assert.deepEqual(new Set(where), new Set(['node1', 'node2']));
    const alive = [...client.membership.alive().keys()].filter((id) => id !== client.nodeId).sort();
    assert.deepEqual(alive, ['node1', 'node2']);
    assert.equal(client.membership.alive().get('node1')?.address, addressBefore, 'the tampered entry was ignored');
    for (let i = 0; i < 2000; i++) assert.match(client.locate(Echo, `k${i}`)!, /^node[12]$/);
    const shards = await new Kvm(raw).open(`rsd_${cluster.name}_shards`);
    for await (const key of await shards.keys()) {
      assert.match((await shards.get(key))!.json<{ owner: string }>().owner, /^node[12]$/, `${key} row`);
    }
    await raw.flush();
    for (const sub of inboxes) {
      assert.equal(sub.getReceived(), 0, `${sub.getSubject()} got nothing`);
      sub.unsubscribe();
    }
    assert.ok((await dropped('node1', 'member_signature')) > beforeDrops + 20, 'the forgeries were seen and dropped');
    for (const id of ['fake1', 'fake2', 'fake3']) await members.delete(id);
  });

  test('an entry and heartbeats signed with the cluster key are a member (the forgeries above were told apart by their signature)', async () => {
    const signer = new MemberEntryCodec(cluster.name, TEST_MEMBERSHIP_KEY);
    const probe: MemberInfo = { ...host('probe'), role: 'client' };
    await members.put('probe', signer.encode({ info: probe, seq: 1, left: false }));
    let seq = 1;
    const beating = setInterval(() => {
      raw.publish(beatSubject(cluster.name, 'probe'), signer.encode({ info: probe, seq: ++seq, left: false }));
    }, 100);
    await waitFor(
      () => internals(client).membership.isAlive('probe', probe.incarnation),
      3000,
      'the signed probe to be a member',
    ).finally(() => clearInterval(beating));
    await members.put('probe', signer.encode({ info: probe, seq: ++seq, left: true }));
    await waitFor(() => !client.membership.alive().has('probe'), 3000, 'the probe to be gone once it said it left');
  });

  test("a bare delete of a live member's key changes nothing", async () => {
    const incarnation = client.membership.alive().get('node1')!.incarnation;
    let missing = false;
    client.membership.onChange(() => {
      if (!internals(client).membership.isAlive('node1', incarnation)) missing = true;
    });
    for (let i = 0; i < 5; i++) {
      await members.delete('node1');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(missing, false, 'node1 never left the member list');
  });

  test('a replayed heartbeat of a killed node does not keep it alive', async () => {
    const last = (await members.get('node2'))!.value;
    const keys = Array.from({ length: 200 }, (_, i) => `r${i}`).filter((k) => client.locate(Echo, k) === 'node2');
    await cluster.node('node2').kill();
    const dead = waitFor(() => !client.membership.alive().has('node2'), 5000, 'node2 declared dead despite replays');
    await Promise.all([dead, keepWriting([['node2', () => last]], dead)]);
    const where = await Promise.all(keys.map((k) => client.get(Echo, k).where()));
    assert.deepEqual(new Set(where), new Set(['node1']), "node2's objects moved to node1");
    assert.ok((await dropped('node1', 'member_replay')) > 0, 'the replays were counted');
  });
});
