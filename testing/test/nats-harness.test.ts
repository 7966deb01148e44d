import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, type NatsServerHandle, startNats, startNatsCluster } from '../index.ts';
import { isAlive } from './pids.ts';

const text = new TextEncoder();

// Connections are closed in after hooks too, so a failing assertion cannot keep the event loop (and the test) alive.
function connectTo(servers: string | string[], track: NatsConnection[]): Promise<NatsConnection> {
  return connect({ servers, timeout: 2_000 }).then((nc) => {
    track.push(nc);
    return nc;
  });
}

async function closeAll(connections: NatsConnection[]): Promise<void> {
  await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => {})));
}

async function eventually<T>(what: string, timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (err) {
      lastError = err;
      await sleep(100);
    }
  }
  throw new Error(`${what} did not succeed within ${timeoutMs}ms`, { cause: lastError });
}

async function nextMessage(nc: NatsConnection, subject: string, publish: () => void): Promise<string> {
  const sub = nc.subscribe(subject, { max: 1, timeout: 2_000 });
  await nc.flush();
  // Interest crosses routes asynchronously: keep publishing until the subscriber has one.
  publish();
  const again = setInterval(publish, 100);
  try {
    for await (const msg of sub) return msg.string();
  } finally {
    clearInterval(again);
  }
  throw new Error(`subscription on ${subject} ended without a message`);
}

describe('single server', () => {
  let nats: NatsCluster;
  const connections: NatsConnection[] = [];
  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    await closeAll(connections);
    await nats?.close();
  });

  test('core pub/sub round-trips a message', async () => {
    const nc = await connectTo(nats.urls, connections);
    const received = await nextMessage(nc, 'greet', () => nc.publish('greet', 'hello'));
    assert.equal(received, 'hello');
  });

  test('KV put/get and compare-and-set by revision', async () => {
    const nc = await connectTo(nats.urls, connections);
    const kv = await new Kvm(nc).create('single');
    const rev1 = await kv.put('k', text.encode('v1'));
    assert.equal((await kv.get('k'))?.string(), 'v1');
    const rev2 = await kv.update('k', text.encode('v2'), rev1);
    assert.ok(rev2 > rev1);
    await assert.rejects(kv.update('k', text.encode('stale'), rev1), /wrong last sequence/);
    const entry = await kv.get('k');
    assert.equal(entry?.string(), 'v2');
    assert.equal(entry?.revision, rev2);
  });

  test('pause() makes the server unresponsive until resume()', async () => {
    const [server] = nats.servers;
    assert.ok(server);
    const nc = await connectTo(server.url, connections);
    server.pause();
    try {
      const flushed = await Promise.race([nc.flush().then(() => 'flushed'), sleep(500, 'timed out')]);
      assert.equal(flushed, 'timed out');
      // Probed over HTTP rather than a fresh NATS connect: nats.js leaks the socket of a timed-out connect().
      await assert.rejects(fetch(`${server.monitorUrl}/varz`, { signal: AbortSignal.timeout(500) }));
    } finally {
      server.resume();
    }
    await nc.flush();
    const varz = await fetch(`${server.monitorUrl}/varz`, { signal: AbortSignal.timeout(2_000) });
    assert.equal(varz.ok, true);
    const fresh = await connectTo(server.url, connections);
    await fresh.flush();
  });
});

describe('3-server JetStream cluster', () => {
  let cluster: NatsCluster;
  const connections: NatsConnection[] = [];
  const server = (i: number): NatsServerHandle => {
    const handle = cluster.servers[i];
    assert.ok(handle, `no server ${i}`);
    return handle;
  };
  before(async () => {
    cluster = await startNatsCluster();
  });
  after(async () => {
    await closeAll(connections);
    await cluster?.close();
  });

  test('messages route between servers', async () => {
    assert.equal(cluster.servers.length, 3);
    const subscriber = await connectTo(server(0).url, connections);
    const publisher = await connectTo(server(2).url, connections);
    // Subscription interest propagates over routes asynchronously, so one publish might be dropped.
    const received = await eventually('cross-server delivery', 10_000, () =>
      nextMessage(subscriber, 'across', () => publisher.publish('across', 'routed')),
    );
    assert.equal(received, 'routed');
  });

  test('KV with replicas: 3', async () => {
    const nc = await connectTo(cluster.urls, connections);
    const kv = await new Kvm(nc).create('replicated', { replicas: 3 });
    assert.equal((await kv.status()).replicas, 3);
    const rev = await kv.put('k', text.encode('v1'));
    await kv.update('k', text.encode('v2'), rev);
    assert.equal((await kv.get('k'))?.string(), 'v2');
  });

  test('R3 KV survives SIGKILL of the stream leader and the restarted server catches up', async () => {
    const setup = await connectTo(cluster.urls, connections);
    const kv = await new Kvm(setup).create('survivor', { replicas: 3 });
    await kv.put('before', text.encode('1'));
    const leaderName = (await (await jetstreamManager(setup)).streams.info('KV_survivor')).cluster?.leader;
    const victim = cluster.servers.find((s) => s.name === leaderName);
    assert.ok(victim, `stream leader ${leaderName} is not one of ours`);
    const survivors = cluster.servers.filter((s) => s !== victim).map((s) => s.url);

    await victim.kill();
    assert.equal(victim.running, false);
    const nc = await connectTo(survivors, connections);
    const kvSurvivors = await new Kvm(nc).open('survivor');
    // Writes need a new stream leader; election takes a few seconds after the leader dies.
    await eventually('write after kill', 15_000, () => kvSurvivors.put('during', text.encode('written-while-down')));
    assert.equal((await kvSurvivors.get('before'))?.string(), '1');
    assert.equal((await kvSurvivors.get('during'))?.string(), 'written-while-down');

    await victim.restart();
    assert.equal(victim.running, true);
    const lone = await connectTo(victim.url, connections);
    const kvLone = await new Kvm(lone).open('survivor');
    const value = await eventually('read on restarted server', 15_000, async () => {
      const entry = await kvLone.get('during');
      if (entry?.string() !== 'written-while-down') throw new Error(`got ${entry?.string()}`);
      return entry.string();
    });
    assert.equal(value, 'written-while-down');
    assert.equal(lone.getServer(), victim.url.replace('nats://', ''));
  });
});

describe('close()', () => {
  test('kills every server process and removes the temp dirs, idempotently', async (t) => {
    const cluster = await startNatsCluster({ size: 2 });
    t.after(() => cluster.close());
    const pids = cluster.servers.map((s) => s.pid);
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.ok(pid !== undefined && isAlive(pid), `pid ${pid} should be alive`);
    for (const s of cluster.servers) assert.ok(existsSync(s.storeDir), `${s.storeDir} should exist while running`);
    cluster.servers[1]?.pause();

    await cluster.close();
    await cluster.close();
    for (const pid of pids) assert.ok(pid !== undefined && !isAlive(pid), `pid ${pid} still alive after close()`);
    assert.deepEqual(
      cluster.servers.map((s) => [s.running, s.pid]),
      cluster.servers.map(() => [false, undefined]),
    );
    for (const s of cluster.servers) assert.equal(existsSync(s.storeDir), false, `${s.storeDir} left behind`);
  });
});
