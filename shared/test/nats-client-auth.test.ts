// Reading a client's NATS settings: every kind of bad setting is refused before connecting, with the setting named.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createUser } from '@nats-io/nkeys';
import type { Authenticator } from '@nats-io/transport-node';
import { credsFile } from '@resident/testing';
import { loadNatsClientAuth, type NatsClientSettings, NatsSettingError, natsClientSettings } from '../nats/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'resident-client-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const named = (value: string, name: string) => ({ value, name });
const seed = () => new TextDecoder().decode(createUser().getSeed());

function refused(settings: NatsClientSettings, message: RegExp): void {
  assert.throws(
    () => loadNatsClientAuth(settings),
    (err: unknown) => err instanceof NatsSettingError && message.test(err.message),
  );
}

test('flags win over the environment, and each value remembers where it came from', () => {
  const settings = natsClientSettings({ 'nats-nkey': '/a.nk' }, { NATS_NKEY: '/b.nk', NATS_TLS_CA: '/ca.pem' });
  assert.deepEqual(settings, {
    'nats-nkey': named('/a.nk', '--nats-nkey'),
    'nats-tls-ca': named('/ca.pem', 'NATS_TLS_CA'),
  });
  assert.deepEqual(natsClientSettings({}, { NATS_USER: '' }), {}, 'an empty variable is unset');
});

test('a well-formed nkey seed, creds file, or user and password file loads; no settings means anonymous', () => {
  assert.equal(
    loadNatsClientAuth({ 'nats-nkey': named(file('ok.nk', `${seed()}\n`), 'NATS_NKEY') }).credential,
    'NATS_NKEY',
  );
  const creds = file('ok.creds', credsFile('eyJ0eXAiOiJKV1QifQ.e30.sig', seed()));
  assert.equal(loadNatsClientAuth({ 'nats-creds': named(creds, '--nats-creds') }).credential, '--nats-creds');
  const password = named(file('pw', 'secret\n'), '--nats-password-file');
  const auth = loadNatsClientAuth({ 'nats-user': named('u', '--nats-user'), 'nats-password-file': password });
  assert.deepEqual(
    (auth.options.authenticator as Authenticator)(''),
    { user: 'u', pass: 'secret' },
    'the newline is not the password',
  );
  assert.deepEqual(loadNatsClientAuth({}), { options: {}, credential: undefined, tls: undefined, settings: {} });
});

test('every kind of bad setting is refused, named', () => {
  const nkey = named(file('a.nk', seed()), '--nats-nkey');
  refused(
    { 'nats-nkey': named(join(dir, 'none.nk'), 'NATS_NKEY') },
    /^NATS_NKEY \S+none\.nk: cannot read it \(ENOENT\)$/,
  );
  refused({ 'nats-nkey': named(file('bad.nk', 'SUXYZ'), 'NATS_NKEY') }, /^NATS_NKEY \S+: not a valid nkey seed/);
  refused(
    { 'nats-creds': named(file('bad.creds', 'just text'), '--nats-creds') },
    /^--nats-creds \S+: not a valid NATS credentials file \(unable to parse credentials\)$/,
  );
  refused(
    { 'nats-creds': named(file('badseed.creds', credsFile('a.b.c', 'SUNOPE')), '--nats-creds') },
    /^--nats-creds \S+: not a valid NATS credentials file/,
  );
  refused(
    { 'nats-nkey': nkey, 'nats-user': named('u', 'NATS_USER') },
    /^--nats-nkey and NATS_USER: give one NATS credential/,
  );
  refused({ 'nats-password': named('p', 'NATS_PASSWORD') }, /^NATS_PASSWORD needs a user/);
  refused({ 'nats-user': named('u', '--nats-user') }, /^--nats-user needs a password/);
  refused(
    {
      'nats-user': named('u', '--nats-user'),
      'nats-password': named('p', 'NATS_PASSWORD'),
      'nats-password-file': named(file('pw2', 'p'), '--nats-password-file'),
    },
    /^NATS_PASSWORD and --nats-password-file: give the password once$/,
  );
  refused({ 'nats-tls-key': named(file('k.pem', 'x'), 'NATS_TLS_KEY') }, /^NATS_TLS_KEY needs its pair/);
});
