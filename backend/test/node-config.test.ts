import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, DEFAULT_LIMITS, readConfig } from '../src/node/config.ts';
import { resolveOptions } from '../src/objects/internal.ts';

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

  test('the heartbeat period: the runtime default, or a flag whose failure detection scales with it', () => {
    assert.equal(read([]).heartbeatMs, undefined);
    assert.equal(read(['--heartbeat-ms', '1000']).heartbeatMs, 1000);
    assert.equal(read([], { RESIDENT_HEARTBEAT_MS: '500' }).heartbeatMs, 500);
    const timing = (o: { heartbeatMs?: number; suspectMs?: number }) => {
      const r = resolveOptions({ classes: [], ...o });
      return [r.heartbeatMs, r.suspectMs, r.deadMs];
    };
    assert.deepEqual(timing({}), [200, 1000, 1500], 'the defaults');
    assert.deepEqual(timing({ heartbeatMs: 1000 }), [1000, 5000, 7500], 'suspected after 5 beats, dead after 7.5');
    assert.deepEqual(timing({ heartbeatMs: 1000, suspectMs: 3000 }), [1000, 3000, 4500], 'an explicit suspectMs wins');
  });

  test("stateless mode: the twin's URLs, with the secret it verifies tokens with", () => {
    assert.deepEqual(read([]).statelessApi, [], 'objects by default');
    const secret = { RESIDENT_AUTH_SECRET: 's'.repeat(32) };
    const c = read(['--stateless-api', 'http://127.0.0.1:8080/, http://twin.internal:80'], secret);
    assert.deepEqual(c.statelessApi, ['http://127.0.0.1:8080', 'http://twin.internal:80']);
    assert.deepEqual(read([], { ...secret, RESIDENT_STATELESS_API: 'https://[::1]:9' }).statelessApi, [
      'https://[::1]:9',
    ]);
  });

  test('HTTP and WebSocket limits: defaults, flags and environment', () => {
    const defaults = read([]);
    assert.deepEqual(defaults.limits, DEFAULT_LIMITS);
    assert.deepEqual(defaults.http, { listen: undefined, metricsListen: undefined, metricsToken: undefined });
    const c = read(
      [
        '--listen',
        '[::1]',
        '--metrics-listen',
        '127.0.0.1:9100',
        '--max-body',
        '8192',
        '--max-options-depth',
        '3',
        '--ws-idle-timeout',
        '8',
        '--max-messages',
        '50',
        '--seat-reservation',
        '3',
        '--seats-per-player',
        '2',
      ],
      {
        RESIDENT_METRICS_TOKEN: 't'.repeat(16),
        RESIDENT_SEATS_PER_ADDRESS: '100',
        RESIDENT_ROOMS_PER_PLAYER: '1',
        RESIDENT_ROOMS_PER_ADDRESS: '7',
        RESIDENT_MAX_PENDING_JOINS: '32',
      },
    );
    assert.deepEqual(c.http, {
      listen: '::1',
      metricsListen: { host: '127.0.0.1', port: 9100 },
      metricsToken: 't'.repeat(16),
    });
    assert.deepEqual(c.limits, {
      maxBodyBytes: 8192,
      maxOptionsDepth: 3,
      wsIdleTimeoutSeconds: 8,
      messagesPerSecond: 50,
      seatReservationSeconds: 3,
      seatsPerPlayer: 2,
      seatsPerAddress: 100,
      roomsPerPlayerPerMinute: 1,
      roomsPerAddressPerMinute: 7,
      maxPendingJoins: 32,
    });
    assert.deepEqual(read(['--metrics-listen', '[::1]:9100']).http.metricsListen, { host: '::1', port: 9100 });
  });

  test('secrets can come from mounted files, without their final newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'resident-config-'));
    try {
      writeFileSync(join(dir, 'auth'), `${'a'.repeat(40)}\n`);
      writeFileSync(join(dir, 'token'), 't'.repeat(20));
      const c = read(['--nats', 'nats://a:4222', '--auth-secret-file', join(dir, 'auth')], {
        RESIDENT_METRICS_TOKEN_FILE: join(dir, 'token'),
      });
      assert.equal(c.authSecret, 'a'.repeat(40));
      assert.equal(c.http.metricsToken, 't'.repeat(20));
      writeFileSync(join(dir, 'short'), 'short\n');
      assert.throws(
        () => read([], { RESIDENT_METRICS_TOKEN_FILE: join(dir, 'short') }),
        /^ConfigError: RESIDENT_METRICS_TOKEN_FILE must be at least 16 characters, got 5$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    [['--arena-size', '0'], {}, /^--arena-size must be an integer from 1 to 500, got "0"$/],
    [[], { RESIDENT_ARENA_SIZE: '501' }, /^RESIDENT_ARENA_SIZE must be an integer from 1 to 500, got "501"$/],
    [['--heartbeat-ms', '20'], {}, /^--heartbeat-ms must be an integer from 50 to 5000, got "20"$/],
    [[], { RESIDENT_HEARTBEAT_MS: 'often' }, /^RESIDENT_HEARTBEAT_MS must be an integer from 50 to 5000, got "often"$/],
    [['--listen', 'not a host'], {}, /^--listen must be a host name or IP address, got "not a host"$/],
    [[], { RESIDENT_LISTEN: '' }, /^RESIDENT_LISTEN must be a host name or IP address/],
    [['--metrics-listen', '127.0.0.1'], {}, /^--metrics-listen must be HOST:PORT, got "127.0.0.1"$/],
    [['--metrics-listen', 'h:70000'], {}, /^--metrics-listen must be HOST:PORT/],
    [['--metrics-listen', ':9100'], {}, /^--metrics-listen must be HOST:PORT/],
    [['--metrics-token', 'short'], {}, /^--metrics-token must be at least 16 characters, got 5$/],
    [
      [],
      { RESIDENT_METRICS_TOKEN_FILE: '/nonexistent/token' },
      /^RESIDENT_METRICS_TOKEN_FILE \/nonexistent\/token: cannot read it \(ENOENT\)$/,
    ],
    [
      ['--nats', 'nats://a:4222', '--auth-secret-file', '/nonexistent/s'],
      {},
      /^--auth-secret-file \/nonexistent\/s: cannot read it \(ENOENT\)$/,
    ],
    [
      ['--auth-secret', 'x'.repeat(32)],
      { RESIDENT_AUTH_SECRET_FILE: '/x' },
      /^--auth-secret and RESIDENT_AUTH_SECRET_FILE: give the secret once$/,
    ],
    [['--max-body', '100'], {}, /^--max-body must be an integer from 256 to 1048576, got "100"$/],
    [['--max-body', '4k'], {}, /^--max-body must be an integer from 256 to 1048576, got "4k"$/],
    [['--max-options-depth', '0'], {}, /^--max-options-depth must be an integer from 1 to 32/],
    [['--max-options-depth', '64'], {}, /^--max-options-depth must be an integer from 1 to 32/],
    [['--max-pending-joins', '0'], {}, /^--max-pending-joins must be an integer from 1 to 100000, got "0"$/],
    [[], { RESIDENT_MAX_PENDING_JOINS: 'lots' }, /^RESIDENT_MAX_PENDING_JOINS must be an integer from 1 to 100000/],
    [['--ws-idle-timeout', '4'], {}, /^--ws-idle-timeout must be an integer from 8 to 960, got "4"$/],
    [[], { RESIDENT_WS_IDLE_TIMEOUT: '0' }, /^RESIDENT_WS_IDLE_TIMEOUT must be an integer from 8 to 960/],
    [[], { RESIDENT_MAX_MESSAGES: '-1' }, /^RESIDENT_MAX_MESSAGES must be an integer from 1 to 10000, got "-1"$/],
    [['--seat-reservation', '0'], {}, /^--seat-reservation must be an integer from 1 to 60/],
    [['--seat-reservation', '120'], {}, /^--seat-reservation must be an integer from 1 to 60/],
    [['--seats-per-player', '0'], {}, /^--seats-per-player must be an integer from 1 to 1000000/],
    [[], { RESIDENT_SEATS_PER_ADDRESS: 'many' }, /^RESIDENT_SEATS_PER_ADDRESS must be an integer from 1 to 1000000/],
    [['--rooms-per-player', '1.5'], {}, /^--rooms-per-player must be an integer from 1 to 1000000/],
    [
      ['--stateless-api', 'http://twin:80'],
      {},
      /^--stateless-api needs --auth-secret \(RESIDENT_AUTH_SECRET\): the twin/,
    ],
    [
      ['--stateless-api', 'twin:80', '--auth-secret', 'x'.repeat(32)],
      {},
      /^--stateless-api must be http:\/\/host:port \(comma-separated for several\), got "twin:80"$/,
    ],
    [
      [],
      { RESIDENT_STATELESS_API: 'http://twin/api/v1', RESIDENT_AUTH_SECRET: 'x'.repeat(32) },
      /^RESIDENT_STATELESS_API must be http:\/\/host:port/,
    ],
    [[], { RESIDENT_ROOMS_PER_ADDRESS: '0' }, /^RESIDENT_ROOMS_PER_ADDRESS must be an integer from 1 to 1000000/],
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
