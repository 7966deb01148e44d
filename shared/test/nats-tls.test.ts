// TLS between clients and a real nats-server, with certificates made for the test: the right CA connects, a wrong
// CA or none fails with a line naming the setting, and a server that verifies clients takes only a signed client.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { createTestCertificates, type NatsCluster, startNats, type TestCertificates } from '@resident/testing';
import { explainConnectFailure, loadNatsClientAuth, type NatsClientSettings, NatsSettingError } from '../nats/index.ts';

let certs: TestCertificates;
let nats: NatsCluster;
before(async () => {
  certs = createTestCertificates();
  nats = await startNats({ auth: { cluster: 'c1' }, tls: { certFile: certs.serverCert, keyFile: certs.serverKey } });
});
after(async () => {
  await nats?.close();
  certs?.remove();
});

const named = (value: string, name: string) => ({ value, name });
const nodeKey = (): NatsClientSettings => ({ 'nats-nkey': named(nats.credentials!.seedFiles.node, '--nats-nkey') });

async function failure(settings: NatsClientSettings, url = nats.urls[0]!): Promise<string | undefined> {
  // A short timeout: a server that verifies clients leaves one without a certificate unanswered.
  const auth = loadNatsClientAuth(settings);
  const err = await connect({ servers: url, timeout: 3000, ...auth.options }).then(
    async (nc) => {
      await nc.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  assert.ok(err, 'the connection should have failed');
  return explainConnectFailure(err, auth);
}

test('a client that trusts the CA connects over TLS with its nkey', async () => {
  const auth = loadNatsClientAuth({ ...nodeKey(), 'nats-tls-ca': named(certs.caFile, '--nats-tls-ca') });
  const nc = await connect({ servers: nats.urls, ...auth.options });
  try {
    assert.equal(nc.info?.tls_required, true);
    const sub = nc.subscribe('rsd.c1.inbox.n1', { max: 1 });
    nc.publish('rsd.c1.inbox.n1', 'over tls');
    for await (const m of sub) assert.equal(m.string(), 'over tls');
  } finally {
    await nc.close();
  }
});

test('a wrong CA, or none, fails with one line naming the CA setting', async () => {
  const wrong = await failure({ ...nodeKey(), 'nats-tls-ca': named(certs.otherCaFile, 'NATS_TLS_CA') });
  assert.match(wrong!, /^TLS to NATS failed \([^\n]+\): check NATS_TLS_CA$/);
  const none = await failure(nodeKey());
  assert.match(none!, /^TLS to NATS failed \([^\n]+\): check the CA with --nats-tls-ca \(NATS_TLS_CA\)$/);
});

test('a server that verifies clients takes a client certificate signed by its CA, and refuses a client without', async () => {
  const strict = await startNats({
    auth: { cluster: 'c1' },
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey, verifyClientsCa: certs.caFile },
  });
  try {
    const key = { 'nats-nkey': named(strict.credentials!.seedFiles.node, '--nats-nkey') };
    const ca = { 'nats-tls-ca': named(certs.caFile, '--nats-tls-ca') };
    const client = {
      'nats-tls-cert': named(certs.clientCert, '--nats-tls-cert'),
      'nats-tls-key': named(certs.clientKey, '--nats-tls-key'),
    };
    const nc = await connect({ servers: strict.urls, ...loadNatsClientAuth({ ...key, ...ca, ...client }).options });
    assert.ok(nc.info);
    await nc.close();
    assert.match(
      (await failure({ ...key, ...ca }, strict.urls[0]))!,
      /if the server verifies clients, set --nats-tls-cert/,
    );
  } finally {
    await strict.close();
  }
});

test('TLS settings that cannot work are refused before connecting, named', () => {
  assert.throws(
    () => loadNatsClientAuth({ 'nats-tls-cert': named(certs.clientCert, '--nats-tls-cert') }),
    (err: unknown) => err instanceof NatsSettingError && /^--nats-tls-cert needs its pair/.test(err.message),
  );
  assert.throws(
    () => loadNatsClientAuth({ 'nats-tls-ca': named('/nonexistent/ca.pem', 'NATS_TLS_CA') }),
    /^NatsSettingError: NATS_TLS_CA \/nonexistent\/ca\.pem: cannot read it \(ENOENT\)$/,
  );
});
