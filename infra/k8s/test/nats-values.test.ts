// The NATS chart values we ship: only keys the chart has (nats-chart.ts), the permissions rendered from shared/nats,
// and an authorization block nats-server accepts as the chart renders it, with the nkeys from the pods' environment.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findNatsServer, permissionsFor, ROLES } from '@resident/shared/nats';
import { parse } from 'yaml';
import { clusterName, K8S_DIR, NATS_VALUES_FILE, SECRETS } from '../layout.ts';
import { chartConf, nkeyVariable } from '../nats-values.ts';
import { generateSecrets } from '../secrets.ts';
import { unknownKeys } from './nats-chart.ts';

const scratch = mkdtempSync(join(tmpdir(), 'resident-nats-values-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Values {
  config: { merge: { authorization: { users: { nkey: string; permissions: unknown }[] } } };
  container: { env: Record<string, { valueFrom?: { secretKeyRef: { name: string; key: string } } }> };
}
const values = parse(readFileSync(NATS_VALUES_FILE, 'utf8')) as Values;

test("the values files and the README's --set flags use only keys the chart has", () => {
  const tls = parse(readFileSync(join(K8S_DIR, 'nats/values-tls.yaml'), 'utf8'));
  assert.deepEqual(unknownKeys(values), []);
  assert.deepEqual(unknownKeys(tls), []);
  const readme = readFileSync(join(K8S_DIR, 'README.md'), 'utf8');
  const flags = [...readme.matchAll(/--set(?:-string)? ([\w.]+)=/g)].map((m) => m[1]!);
  assert.ok(flags.length > 0, 'the README installs NATS with --set flags');
  for (const key of flags) {
    const nested = key.split('.').reduceRight<unknown>((inner, k) => ({ [k]: inner }), 'x');
    assert.deepEqual(unknownKeys(nested), [], `--set ${key}`);
  }
  assert.deepEqual(unknownKeys({ config: { jetstream: { fileStorage: {} } }, nats: {} }), [
    'config.jetstream.fileStorage',
    'nats',
  ]);
});

test("each role's user carries that role's permissions and its nkey from the resident-nats-users Secret", () => {
  const users = values.config.merge.authorization.users;
  assert.equal(users.length, ROLES.length);
  ROLES.forEach((role, i) => {
    assert.equal(users[i]!.nkey, `<< $${nkeyVariable(role)} >>`);
    const p = permissionsFor(role, clusterName());
    assert.deepEqual(users[i]!.permissions, { publish: p.publish, subscribe: p.subscribe });
    const ref = values.container.env[nkeyVariable(role)]?.valueFrom?.secretKeyRef;
    assert.deepEqual(ref, { name: SECRETS.natsUsers.name, key: role }, `container.env.${nkeyVariable(role)}`);
  });
});

test('nats-server accepts the authorization the chart renders, with the nkeys in its environment, and not without', () => {
  const generated = generateSecrets(scratch, clusterName());
  const secret = parse(readFileSync(generated.natsUsersFile, 'utf8')) as { stringData: Record<string, string> };
  const env = Object.fromEntries(ROLES.map((role) => [nkeyVariable(role), secret.stringData[role]!]));
  const conf = join(scratch, 'nats.conf');
  writeFileSync(conf, chartConf(values.config.merge));
  const check = spawnSync(findNatsServer(), ['-t', '-c', conf], { encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(check.status, 0, check.stderr);
  const missing = spawnSync(findNatsServer(), ['-t', '-c', conf], { encoding: 'utf8', env: {} });
  assert.notEqual(missing.status, 0, 'nats-server accepted the config without the nkey variables');
  assert.match(missing.stderr, /RESIDENT_NODE_NKEY/);
});
