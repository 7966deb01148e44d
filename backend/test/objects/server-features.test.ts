// Feature detection against real servers: the provisioned nats-server (2.15) and the system's (2.9 on Debian 12,
// the compatibility run's), and the version → feature table for servers that advertise no API level.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { PROVISIONED_NATS_SERVER, systemNatsServer } from '@resident/shared/nats';
import { type NatsCluster, startNats } from '@resident/testing';
import { detectServerFeatures, serverFeatures } from '../../src/objects/internal.ts';

async function natsOn(bin: string): Promise<NatsCluster> {
  const saved = process.env.NATS_SERVER_BIN;
  process.env.NATS_SERVER_BIN = bin;
  try {
    return await startNats();
  } finally {
    if (saved === undefined) delete process.env.NATS_SERVER_BIN;
    else process.env.NATS_SERVER_BIN = saved;
  }
}

describe('detectServerFeatures', () => {
  const started: NatsCluster[] = [];
  after(() => Promise.all(started.map((s) => s.close())));

  test('the provisioned nats-server has per-message TTL, batch direct get and atomic batch publish', async () => {
    const nats = await natsOn(PROVISIONED_NATS_SERVER);
    started.push(nats);
    const nc = await connect({ servers: nats.urls });
    try {
      const features = await detectServerFeatures(nc);
      assert.match(features.version, /^2\.1[2-9]\./);
      assert.ok(features.apiLevel >= 2, `api level ${features.apiLevel}`);
      assert.deepEqual([features.messageTtl, features.batchDirectGet, features.atomicBatchPublish], [true, true, true]);
      // What "messageTtl" promises, for real: a key that expires on its own.
      const kv = await new Kvm(nc).create('ttl-probe', { markerTTL: 1_000 });
      await kv.create('k', 'v', '1s');
      assert.equal((await kv.get('k'))?.string(), 'v');
    } finally {
      await nc.close();
    }
  });

  test('the system nats-server (the compatibility run) reports what its version supports', async (t) => {
    const bin = systemNatsServer();
    if (bin === undefined) return t.skip('no nats-server on PATH');
    const nats = await natsOn(bin);
    started.push(nats);
    const nc = await connect({ servers: nats.urls });
    try {
      const features = await detectServerFeatures(nc, await jetstreamManager(nc));
      assert.deepEqual(features, serverFeatures(features.version, features.apiLevel));
      if (/^2\.(9|10)\./.test(features.version)) {
        assert.deepEqual(features, serverFeatures(features.version, 0));
        assert.equal(features.messageTtl || features.batchDirectGet || features.atomicBatchPublish, false);
      }
    } finally {
      await nc.close();
    }
  });
});

describe('serverFeatures', () => {
  const flags = (version: string, level?: number) => {
    const f = serverFeatures(version, level);
    return [f.apiLevel, f.messageTtl, f.batchDirectGet, f.atomicBatchPublish];
  };

  test('an advertised API level decides', () => {
    assert.deepEqual(flags('2.15.1', 4), [4, true, true, true]);
    assert.deepEqual(flags('2.11.3', 1), [1, true, true, false]);
    assert.deepEqual(flags('2.10.27', 0), [0, false, false, false]);
  });

  test('without one, the version does: 2.9 and 2.10 have none of the features', () => {
    assert.deepEqual(flags('2.9.10'), [0, false, false, false]);
    assert.deepEqual(flags('2.10.27'), [0, false, false, false]);
    assert.deepEqual(flags('2.11.0'), [1, true, true, false]);
    assert.deepEqual(flags('v2.12.1'), [2, true, true, true]);
    assert.deepEqual(flags('3.0.0'), [2, true, true, true]);
  });

  test('an unreadable version means no features, not a failed start', () => {
    assert.deepEqual(flags('dev-build'), [0, false, false, false]);
  });
});
