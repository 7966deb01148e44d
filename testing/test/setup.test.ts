// setup() and cleanup(): a NATS with a connected client, then all of it closed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { cleanup, setup } from '../index.ts';

test('setup() connects a client to a fresh NATS; cleanup() closes it and stops the servers', async () => {
  const { nats, nc } = await setup();
  const sub = nc.subscribe('hello', {
    max: 1,
    callback: (_err, msg) => {
      msg.respond('world');
    },
  });
  const reply = await nc.request('hello', 'x', { timeout: 2_000 });
  assert.equal(reply.string(), 'world');
  await cleanup(nats, nc);
  assert.equal(nc.isClosed(), true);
  assert.equal(sub.isClosed(), true);
  assert.equal(nats.servers[0]?.running, false);
  await assert.rejects(connect({ servers: nats.urls, reconnect: false, timeout: 1_000 }));
});

test('setup() with auth: the client needs a credential, anonymous ones are refused', async () => {
  await assert.rejects(setup({ auth: { cluster: 't' } }));
});
