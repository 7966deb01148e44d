import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, readConfig } from '../src/node/config.ts';

const read = (argv: string[], env: NodeJS.ProcessEnv = {}) => readConfig(argv, env, 'host');

describe('node config: flags and environment', () => {
  test('embedded defaults', () => {
    const c = read([]);
    assert.equal(c.port, 2567);
    assert.deepEqual(c.natsUrls, []);
    assert.equal(c.store, 'lmdb');
    assert.equal(c.publicAddress, 'localhost:2567');
    assert.match(c.nodeId, /^host-[0-9a-f]{6}$/);
    assert.equal(c.dataDir, '.data/embedded', 'stable across restarts');
  });

  test('cluster settings from flags win over the environment', () => {
    const c = read(['--port', '3001', '--nats', 'nats://a:4222,nats://b:4222', '--node-id', 'n1', '--replicas', '3'], {
      PORT: '9999',
      NATS_URL: 'nats://ignored:1',
      PUBLIC_ADDRESS: 'game.example.com:443',
      RESIDENT_AUTH_SECRET: 's'.repeat(32),
    });
    assert.equal(c.port, 3001);
    assert.deepEqual(c.natsUrls, ['nats://a:4222', 'nats://b:4222']);
    assert.equal(c.store, 'kv');
    assert.equal(c.replicas, 3);
    assert.equal(c.publicAddress, 'game.example.com:443');
    assert.equal(c.authSecret, 's'.repeat(32));
  });

  const bad: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--port', 'abc'], {}, /^--port must be an integer from 1 to 65535, got "abc"$/],
    [[], { PORT: '70000' }, /^PORT must be an integer/],
    [['--nats', 'http://x'], {}, /^--nats must be nats:\/\/host:port/],
    [['--store', 'redis'], {}, /^--store must be one of kv, lmdb, memory, got "redis"$/],
    [['--store', 'kv'], {}, /^--store=kv needs NATS/],
    [['--replicas', '2'], {}, /^--replicas must be one of 1, 3/],
    [['--cluster', 'a.b'], {}, /^--cluster must be 1-32 characters/],
    [['--node-id', 'has space'], {}, /^--node-id must be 1-64 characters/],
    [['--public-address', 'bad address'], {}, /^--public-address must be host\[:port\]/],
    [['--frobnicate'], {}, /Unknown option '--frobnicate'.*\(see --help\)/],
    [['--nats', 'nats://a:4222'], {}, /^a cluster needs a shared guest-token secret: set --auth-secret/],
    [['--auth-secret', 'short'], {}, /^--auth-secret must be at least 32 characters, got 5$/],
    [['--login-rate', '0'], {}, /^--login-rate must be a positive integer, got "0"$/],
    [[], { RESIDENT_LOGIN_RATE: 'fast' }, /^RESIDENT_LOGIN_RATE must be a positive integer, got "fast"$/],
  ];
  for (const [argv, env, message] of bad) {
    test(`rejects ${JSON.stringify(argv)} ${JSON.stringify(env)} with one clear line`, () => {
      assert.throws(
        () => read(argv, env),
        (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'),
      );
    });
  }
});
