// The roles' permissions on a real nats-server configured by shared/nats: what a stranger, the loadgen role and the
// metrics role cannot do to a cluster (call an object, read or write its buckets, listen to a node, act as a node,
// listen to everything), and what each role can do.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect as rawConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { createUser } from '@nats-io/nkeys';
import { type ConnectionOptions, connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { credsFile, type NatsCluster, startNats, startNatsCluster } from '@resident/testing';
import {
  BUCKETS,
  bucketName,
  explainConnectFailure,
  loadNatsClientAuth,
  type NatsClientSettings,
  nodeConnectOptions,
  type Role,
  statsSubject,
  streamOf,
} from '../nats/index.ts';

const C = 'c1';
const PASSWORD = 'correct horse battery staple';
let nats: NatsCluster;
let node: NatsConnection;
const buckets = new Map<string, KV>();
const open: NatsConnection[] = [];

const nkeyOf = (role: Role): NatsClientSettings => ({
  'nats-nkey': { value: nats.credentials!.seedFiles[role], name: `--nats-nkey (${role})` },
});

async function as(settings: NatsClientSettings, extra: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: nats.urls, ...loadNatsClientAuth(settings).options, ...extra });
  open.push(nc);
  return nc;
}

const asNode = () => as(nkeyOf('node'), nodeConnectOptions(C, undefined));

/** Connection errors the server sent (permission violations arrive asynchronously, before the next PONG). */
function violations(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error') seen.push(String(s.error.message));
  })();
  return seen;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), what);
}

/** The node listens on `subject`; what arrives there by the time the node's own marker does is what got through. */
async function deliveredTo(subject: string, act: () => Promise<void>): Promise<string[]> {
  const got: string[] = [];
  const sub = node.subscribe(subject, { callback: (_e, m) => void got.push(m.string()) });
  await node.flush();
  await act();
  node.publish(subject, 'marker');
  await until(() => got.includes('marker'), `the node's marker on ${subject}`);
  sub.unsubscribe();
  return got.filter((m) => m !== 'marker');
}

/** The server answers with a violation, and a node listening there (if it can) receives nothing. */
async function refusedPublish(nc: NatsConnection, seen: string[], subject: string, reply?: string): Promise<void> {
  const send = async () => {
    nc.publish(subject, 'forged', reply ? { reply } : {});
    await nc.flush();
  };
  if (subject.startsWith(`rsd.${C}.`)) assert.deepEqual(await deliveredTo(subject, send), []);
  else await send();
  await until(() => seen.some((v) => v.includes(`Publish to "${subject}"`)), `publish to ${subject} refused: ${seen}`);
}

async function refusedSubscribe(nc: NatsConnection, subject: string, probe: string): Promise<void> {
  const sub: Subscription = nc.subscribe(subject);
  const received: string[] = [];
  const ended = (async () => {
    try {
      for await (const m of sub) received.push(m.subject);
      return 'ended';
    } catch (err) {
      return String((err as Error).message);
    }
  })();
  await nc.flush();
  node.publish(probe, 'secret');
  await node.flush();
  assert.match(
    await ended,
    new RegExp(`Permissions Violation for Subscription to "${subject.replace(/[.*>$]/g, '\\$&')}"`),
  );
  assert.deepEqual(received, []);
}

before(async () => {
  nats = await startNats({
    auth: { cluster: C, users: [{ role: 'node', user: 'node-by-password', password: PASSWORD }] },
  });
  node = await asNode();
  const kvm = new Kvm(jetstream(node));
  for (const kind of BUCKETS) {
    const kv = await kvm.create(bucketName(C, kind), { history: 1 });
    await kv.put('k', 'original');
    buckets.set(kind, kv);
  }
});

after(async () => {
  await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  await nats?.close();
});

test('a client without credentials, or with an nkey the server does not know, is refused; the error names the setting', async () => {
  await assert.rejects(connect({ servers: nats.urls }), /Authorization Violation/);
  const anonymous = await connect({ servers: nats.urls }).catch((err: unknown) => err);
  assert.match(explainConnectFailure(anonymous, loadNatsClientAuth({}))!, /requires credentials.*--nats-nkey/);

  const stranger = `${nats.servers[0]!.storeDir}-stranger.nk`;
  writeFileSync(stranger, new TextDecoder().decode(createUser().getSeed()));
  const settings: NatsClientSettings = { 'nats-nkey': { value: stranger, name: 'NATS_NKEY' } };
  const err = await connect({ servers: nats.urls, ...loadNatsClientAuth(settings).options }).catch((e: unknown) => e);
  assert.match(String(err), /Authorization Violation/);
  assert.match(explainConnectFailure(err, loadNatsClientAuth(settings))!, /^NATS refused the credential in NATS_NKEY/);

  // A creds file (JWT + seed) parses, but this server trusts no operator: refused, and the creds setting is named.
  const creds = `${nats.servers[0]!.storeDir}-user.creds`;
  writeFileSync(creds, credsFile('eyJ0eXAiOiJKV1QifQ.e30.sig', new TextDecoder().decode(createUser().getSeed())));
  const jwt = loadNatsClientAuth({ 'nats-creds': { value: creds, name: '--nats-creds' } });
  const refused = await connect({ servers: nats.urls, ...jwt.options }).catch((e: unknown) => e);
  assert.match(explainConnectFailure(refused, jwt)!, /^NATS refused the credential in --nats-creds/);
});

for (const role of ['loadgen', 'metrics'] as const) {
  describe(`the ${role} role cannot touch the cluster`, () => {
    let nc: NatsConnection;
    let seen: string[];
    before(async () => {
      // Its replies where it could read them, so a refused read is the server's refusal, not a lost reply.
      nc = await as(nkeyOf(role), { inboxPrefix: role === 'loadgen' ? 'loadgen.inbox' : 'rsd.c1.stats.inbox' });
      seen = violations(nc);
    });

    test('call an object: publishing to a node inbox delivers nothing', async () => {
      await refusedPublish(nc, seen, 'rsd.c1.inbox.n1');
    });

    test('act as a node: room moves, presence, stats and membership or shard rows are refused', async () => {
      for (const subject of [
        'rsd.c1.rooms.restore.n1',
        'rsd.c1.presence.channels',
        'rsd.c1.pub.tYQ',
        statsSubject(C, 'n1'),
      ]) {
        await refusedPublish(nc, seen, subject);
      }
      for (const kind of ['members', 'shards'] as const) {
        await refusedPublish(nc, seen, `$KV.${bucketName(C, kind)}.n1`);
        assert.equal((await buckets.get(kind)!.get('n1'))?.string(), undefined);
      }
    });

    test('listen to a node or to everything: subscribing to an inbox, the replies or > is refused', async () => {
      await refusedSubscribe(nc, 'rsd.c1.inbox.n1', 'rsd.c1.inbox.n1');
      await refusedSubscribe(nc, 'rsd.c1.reply.>', 'rsd.c1.reply.x');
      await refusedSubscribe(nc, '>', 'rsd.c1.inbox.n1');
    });

    test('read or write any bucket of the cluster', async () => {
      for (const kind of BUCKETS) {
        const bucket = bucketName(C, kind);
        const stream = streamOf(bucket);
        const kv = await new Kvm(jetstream(nc, { timeout: 1000 })).open(bucket);
        await assert.rejects(kv.get('k'), /Permissions Violation/);
        await assert.rejects(kv.put('k', 'forged'), /Permissions Violation/);
        await assert.rejects(kv.watch(), /Permissions Violation/);
        // Raw API requests with the answer sent where this role could read it: the server drops the request itself.
        const reply = role === 'loadgen' ? 'loadgen.loot' : 'rsd.c1.stats.loot';
        for (const api of [
          `DIRECT.GET.${stream}.$KV.${bucket}.k`,
          `STREAM.MSG.GET.${stream}`,
          `STREAM.INFO.${stream}`,
        ]) {
          await refusedPublish(nc, seen, `$JS.API.${api}`, reply);
        }
        await refusedPublish(nc, seen, `$JS.API.CONSUMER.CREATE.${stream}.spy.$KV.${bucket}.>`, reply);
        await refusedPublish(nc, seen, `$KV.${bucket}.k`);
        await refusedPublish(nc, seen, `$JS.API.STREAM.DELETE.${stream}`, reply);
        assert.equal((await buckets.get(kind)!.get('k'))?.string(), 'original');
      }
    });
  });
}

describe('the node role', () => {
  let other: NatsConnection;
  let seen: string[];
  before(async () => {
    other = await asNode();
    seen = violations(other);
  });

  test('uses its cluster: calls, requests answered by another node, every bucket read, written and watched', async () => {
    const responder = other.subscribe('rsd.c1.rooms.restore.n2', { callback: (_e, m) => void m.respond('ok') });
    await other.flush();
    assert.equal((await node.request('rsd.c1.rooms.restore.n2', 'room', { timeout: 2000 })).string(), 'ok');
    responder.unsubscribe();
    assert.deepEqual(await deliveredTo('rsd.c1.inbox.n1', async () => other.publish('rsd.c1.inbox.n1', 'call')), [
      'call',
    ]);
    const kvm = new Kvm(jetstream(other));
    for (const kind of BUCKETS) {
      const kv = await kvm.open(bucketName(C, kind));
      await kv.put('n2', 'from n2');
      assert.equal((await kv.get('n2'))?.string(), 'from n2');
      const watch = await kv.watch({ key: 'n2' });
      for await (const e of watch) {
        assert.equal(e.string(), 'from n2');
        break;
      }
    }
    assert.deepEqual(seen, []);
  });

  test('reads many keys of a bucket in one batch direct get (nats-server 2.11+)', async (t) => {
    if ((other.info?.api_lvl ?? 0) < 1) return t.skip(`nats-server ${other.info?.version} has no batch direct get`);
    const bucket = bucketName(C, 'state');
    const kv = await new Kvm(jetstream(other)).open(bucket);
    await Promise.all(['b1', 'b2'].map((k) => kv.put(k, k)));
    const jsm = await jetstreamManager(other);
    const got: string[] = [];
    const multi_last = ['b1', 'b2'].map((k) => `$KV.${bucket}.${k}`);
    for await (const m of await jsm.direct.getLastMessagesFor(streamOf(bucket), { multi_last })) got.push(m.string());
    assert.deepEqual(got.sort(), ['b1', 'b2']);
    assert.deepEqual(seen, []);
  });

  // Without `$JS.FC` the watch stalls for good once the server waits for a flow-control answer.
  test('a watch larger than the flow-control window completes (the node answers flow control)', {
    timeout: 60_000,
  }, async () => {
    const kv = await new Kvm(jetstream(other)).open(bucketName(C, 'rooms'));
    const big = new Uint8Array(64 * 1024);
    const keys = 400;
    await Promise.all(Array.from({ length: keys }, (_, i) => kv.put(`big${i}`, big)));
    let received = 0;
    for await (const e of await kv.watch()) {
      if (e.key.startsWith('big') && ++received === keys) break;
    }
    assert.equal(received, keys);
    assert.deepEqual(seen, []);
  });

  test('cannot reach another cluster, delete or purge its own buckets, list streams, or read other replies', async () => {
    for (const subject of [
      'rsd.c2.inbox.n1',
      '$KV.rsd_c2_state.k',
      `$JS.API.STREAM.CREATE.${streamOf('rsd_c2_state')}`,
    ]) {
      await refusedPublish(other, seen, subject);
    }
    const stream = streamOf(bucketName(C, 'state'));
    for (const api of [
      `STREAM.DELETE.${stream}`,
      `STREAM.PURGE.${stream}`,
      `STREAM.UPDATE.${stream}`,
      'STREAM.NAMES',
    ]) {
      await refusedPublish(other, seen, `$JS.API.${api}`);
    }
    await refusedSubscribe(other, '_INBOX.>', '_INBOX.x');
    await refusedSubscribe(other, 'loadgen.>', 'loadgen.hello');
    await refusedSubscribe(other, '>', 'rsd.c1.inbox.n1');
  });

  test('a user and password with the node role works from a password file; a wrong password is refused, named', async () => {
    const file = `${nats.servers[0]!.storeDir}-password`;
    writeFileSync(file, `${PASSWORD}\n`);
    const user = { value: 'node-by-password', name: '--nats-user' };
    const nc = await as({ 'nats-user': user, 'nats-password-file': { value: file, name: '--nats-password-file' } });
    assert.ok(nc.info);
    const wrong = loadNatsClientAuth({ 'nats-user': user, 'nats-password': { value: 'guess', name: 'NATS_PASSWORD' } });
    const err = await connect({ servers: nats.urls, ...wrong.options }).catch((e: unknown) => e);
    assert.match(
      explainConnectFailure(err, wrong)!,
      /^NATS refused the credential in --nats-user \(Authorization Violation\)/,
    );
  });
});

test("the metrics role reads the nodes' stats and nothing else, and cannot publish any", async () => {
  const metrics = await as(nkeyOf('metrics'));
  const seen = violations(metrics);
  const stats: string[] = [];
  metrics.subscribe('rsd.c1.stats.*', { callback: (_e, m) => void stats.push(m.string()) });
  await metrics.flush();
  node.publish(statsSubject(C, 'n1'), '{"node":"n1"}');
  await until(() => stats.length === 1, 'the stats summary');
  assert.deepEqual(stats, ['{"node":"n1"}']);
  await refusedPublish(metrics, seen, statsSubject(C, 'n1'));
});

test('the loadgen role talks to other loadgen clients on loadgen.>', async () => {
  const [coordinator, worker] = [await as(nkeyOf('loadgen')), await as(nkeyOf('loadgen'))];
  const got: string[] = [];
  coordinator.subscribe('loadgen.hello', { callback: (_e, m) => void got.push(m.string()) });
  await coordinator.flush();
  worker.publish('loadgen.hello', 'w1');
  await until(() => got.length === 1, 'the hello');
});

test('a 3-server cluster with auth forms its routes; a route without the route password is refused', async () => {
  const cluster = await startNatsCluster({ size: 3, auth: { cluster: C } });
  try {
    const auth = loadNatsClientAuth({ 'nats-nkey': { value: cluster.credentials!.seedFiles.node, name: 'x' } });
    const [a, b] = await Promise.all(
      cluster.urls
        .slice(0, 2)
        .map((url) => connect({ servers: url, ...auth.options, ...nodeConnectOptions(C, undefined) })),
    );
    const got: string[] = [];
    b!.subscribe('rsd.c1.inbox.n1', { callback: (_e, m) => void got.push(m.string()) });
    await b!.flush();
    await new Promise((r) => setTimeout(r, 200)); // the interest reaches the other server over the route
    a!.publish('rsd.c1.inbox.n1', 'across');
    await until(() => got.length === 1, 'a message across the route');
    await Promise.all([a!.close(), b!.close()]);

    const answer = await routeConnect(cluster.servers[0]!.routePort!);
    assert.match(answer, /Authorization Violation/);
  } finally {
    await cluster.close();
  }
});

/** Opens a route connection as a server without credentials would, and returns what the server answers. */
function routeConnect(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = rawConnect(port, '127.0.0.1');
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer from route port ${port}: ${text}`)));
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (text.startsWith('INFO') && !text.includes('CONNECT sent')) {
        socket.write('CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":"intruder"}\r\nPING\r\n');
        text += 'CONNECT sent\n';
      }
      if (/-ERR/.test(text)) socket.end();
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}
