// The config files infra/nats writes are ones the nats-server the tests use accepts (`nats-server -t`): a clustered
// JetStream server with every role's nkey and the route password, as the cluster runner starts it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLocalCredentials, findNatsServer } from '@resident/shared/nats';
import { planLayouts, renderConfig } from '../nats/config.ts';
import { startNats } from '../nats/index.ts';

test('a generated clustered, authenticated config passes nats-server -t', async () => {
  const root = mkdtempSync(join(tmpdir(), 'resident-nats-conf-'));
  try {
    const credentials = createLocalCredentials(root, 'conftest');
    const [layout] = await planLayouts(root, { size: 3, jetstream: true, clustered: true });
    assert.ok(layout);
    const file = join(root, 'n0.conf');
    writeFileSync(file, renderConfig(layout, { credentials, users: [], tls: undefined }));
    const check = spawnSync(findNatsServer(), ['-t', '-c', file], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stderr, /configuration file .* is valid/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('syncAlways: the server fsyncs every JetStream write before its ack (sync_always in its /varz)', async () => {
  for (const syncAlways of [true, false]) {
    const nats = await startNats({ syncAlways });
    try {
      const varz = (await (await fetch(`${nats.servers[0]!.monitorUrl}/varz`)).json()) as {
        jetstream: { config: { sync_always?: boolean } };
      };
      assert.equal(varz.jetstream.config.sync_always ?? false, syncAlways);
    } finally {
      await nats.close();
    }
  }
});
