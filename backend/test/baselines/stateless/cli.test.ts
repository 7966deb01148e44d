// The twin's command line as a real process: bad flags exit 2 with one clear line and no start; good ones start an
// instance that serves, and SIGTERM stops it with 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { freePort, startPostgres, startRedis } from '@resident/testing';
import { SECRET, skip } from './twins.ts';

const MAIN = new URL('../../../baselines/stateless/main.ts', import.meta.url).pathname;
const GOOD = ['--pg-url', 'postgres://u:p@127.0.0.1:5432/db', '--redis-url', 'redis://127.0.0.1:6379'];

function runMain(args: string[], env: Record<string, string> = {}) {
  // No stray settings from the environment of whoever runs the tests.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(PORT|DATABASE_URL|REDIS_URL|RESIDENT_.*|STATELESS_.*|NODE_ID)$/.test(k),
    ),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (b: Buffer) => (out.stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out.stderr += b.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  exited.finally(() => clearTimeout(timer));
  return { child, out, exited };
}

describe('stateless twin: command line', () => {
  const bad: [string, string[], RegExp][] = [
    ['an unknown flag', ['--bogus', '1', ...GOOD], /Unknown option '--bogus'/],
    [
      'a port that is not a number',
      ['--port', 'abc', ...GOOD, '--auth-secret', SECRET],
      /--port must be an integer from 1 to 65535, got "abc"/,
    ],
    ['no PostgreSQL URL', ['--redis-url', 'redis://127.0.0.1:1', '--auth-secret', SECRET], /DATABASE_URL is required/],
    [
      'a PostgreSQL URL of another scheme',
      ['--pg-url', 'mysql://u:secretpw@h/db', '--redis-url', 'redis://h:1', '--auth-secret', SECRET],
      /--pg-url must be a postgres:\/\/host:port URL, got "mysql:\/\/u:\*\*\*@h\/db"/,
    ],
    [
      'a Redis URL that is not one',
      [...GOOD.slice(0, 2), '--redis-url', 'localhost', '--auth-secret', SECRET],
      /--redis-url must be a redis:\/\/host:port URL/,
    ],
    ['no secret', GOOD, /shared guest-token secret/],
    ['a short secret', [...GOOD, '--auth-secret', 'short'], /--auth-secret must be at least 32 characters, got 5/],
    [
      'a pool out of range',
      [...GOOD, '--auth-secret', SECRET, '--pg-pool', '0'],
      /--pg-pool must be an integer from 1 to 1000, got "0"/,
    ],
    [
      'a bad instance id',
      [...GOOD, '--auth-secret', SECRET, '--instance-id', 'a b'],
      /--instance-id must be 1-64 characters/,
    ],
  ];
  for (const [what, args, message] of bad) {
    test(`${what}: exit 2 with one line`, async () => {
      const run = runMain(args);
      assert.equal(await run.exited, 2);
      assert.match(run.out.stderr, message);
      assert.equal(run.out.stderr.trim().split('\n').length, 1, run.out.stderr);
      assert.match(run.out.stderr, /^stateless: /);
      assert.ok(!run.out.stderr.includes('secretpw'), 'no password in the message');
    });
  }

  test('an environment variable is read like its flag', async () => {
    const run = runMain(GOOD, { RESIDENT_AUTH_SECRET: SECRET, STATELESS_CACHE_TTL: '-5' });
    assert.equal(await run.exited, 2);
    assert.match(run.out.stderr, /STATELESS_CACHE_TTL must be an integer from 1 to 86400, got "-5"/);
  });

  test('--help prints the options and exits 0', async () => {
    const run = runMain(['--help']);
    assert.equal(await run.exited, 0);
    assert.match(run.out.stdout, /--pg-url URL/);
  });

  test('good flags start an instance that serves; SIGTERM stops it with 0', { skip }, async () => {
    const [pg, redis, port] = await Promise.all([startPostgres(), startRedis(), freePort()]);
    try {
      const args = ['--port', String(port), '--pg-url', pg.url, '--redis-url', `redis://127.0.0.1:${redis.port}`];
      const run = runMain([...args, '--instance-id', 'cli1'], { RESIDENT_AUTH_SECRET: SECRET });
      await waitFor(() => run.out.stdout.includes('listening'), run.exited);
      assert.match(run.out.stdout, new RegExp(`cli1 listening on http://127\\.0\\.0\\.1:${port}`));
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.deepEqual(await health.json(), { ok: true });
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0);
    } finally {
      await Promise.all([pg.close(), redis.close()]);
    }
  });

  test('an unreachable PostgreSQL: exit 1 saying so', { skip }, async () => {
    const port = await freePort();
    const args = ['--pg-url', `postgres://u:p@127.0.0.1:${port}/db`, '--redis-url', `redis://127.0.0.1:${port}`];
    const run = runMain(args, { RESIDENT_AUTH_SECRET: SECRET });
    assert.equal(await run.exited, 1);
    assert.match(run.out.stderr, /^stateless: failed to start: .*ECONNREFUSED/);
  });
});

async function waitFor(ready: () => boolean, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 20_000;
  while (!ready()) {
    if (gone) throw new Error('the instance exited before it listened');
    if (Date.now() > deadline) throw new Error('the instance did not listen within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
