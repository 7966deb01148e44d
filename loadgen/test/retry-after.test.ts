// A bot told to come back later: a real HTTP server (node:http) stands in for a node that refuses joins with HTTP 503
// and Retry-After, or 429. The bot waits what it was asked (within its cap), tries the step again, and counts a retry,
// not an error; past its retry budget the refusal is an error. Bad Retry-After values get the default wait or the cap.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Bot, type BotContext, type RetryPolicy } from '../src/bot/bot.ts';
import { Wheel } from '../src/bot/wheel.ts';
import { WorkerMetrics } from '../src/metrics/sample.ts';
import { DEFAULT_RETRY_AFTER_MS, parseRetryAfter, StepError } from '../src/protocol/http-api.ts';
import { loadScenario } from '../src/scenarios/scenario.ts';

/** An answer the server gives: status and Retry-After (undefined: none). The last one repeats. */
type Answer = { status: number; retryAfter?: string };

const SEAT = { name: 'lounge', roomId: 'r1', processId: 'p1', sessionId: 's1' };
let script: Record<string, Answer[]> = {};
/** When each request arrived, per path (performance.now()). */
let arrivals: Record<string, number[]> = {};

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const path = req.url!.split('?')[0]!;
  const now = performance.now();
  req.resume();
  req.on('end', () => {
    arrivals[path] = [...(arrivals[path] ?? []), now];
    const list = script[path] ?? [];
    const answer = list.length > 1 ? list.shift()! : (list[0] ?? { status: 404 });
    if (answer.retryAfter !== undefined) res.setHeader('Retry-After', answer.retryAfter);
    res.setHeader('content-type', 'application/json');
    res.statusCode = answer.status;
    res.end(JSON.stringify(path === '/api/guest' ? { token: 't0k', playerId: 'p' } : SEAT));
  });
});
// No 'upgrade' listener: the bot's WebSocket is closed, so a bot that got a seat fails at "connect".
let base = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const LOGIN = '/api/guest';
const MATCH = '/matchmake/joinOrCreate/lounge';
const profile = (() => {
  const s = loadScenario('idle');
  if (s.kind !== 'sockets') throw new Error('idle is a socket scenario');
  return s.bots[0]!;
})();

/** One bot's join against the script; resolves with how it ended and what it counted. */
async function join(answers: Record<string, Answer[]>, retry: RetryPolicy = { maxRetries: 5, maxWaitMs: 30_000 }) {
  script = answers;
  arrivals = {};
  const metrics = new WorkerMetrics('test');
  const ctx: BotContext = { metrics, wheel: new Wheel(), stepTimeoutMs: 5000, retry, targets: [base], joined: 0 };
  const bot = new Bot(ctx, { name: 'b', target: base, localAddress: undefined, profile, pings: false, decodes: false });
  const err = await bot.start().then(
    () => undefined,
    (e: unknown) => e as StepError,
  );
  bot.destroy();
  return { err, retries: metrics.counters.retries, errors: metrics.counters.errors, logins: metrics.counters.logins };
}

const gaps = (path: string) => (arrivals[path] ?? []).slice(1).map((t, i) => t - arrivals[path]![i]!);
// Timers may fire up to a millisecond before the requested time.
const atLeast = (gap: number, ms: number) => assert.ok(gap >= ms - 2, `waited ${gap} ms, asked ${ms} ms`);

test('503 with Retry-After, then 429 without: the bot waits, retries each step, counts 2 retries and no error', async () => {
  const r = await join({
    [LOGIN]: [{ status: 503, retryAfter: '1' }, { status: 200 }],
    [MATCH]: [{ status: 429 }, { status: 200 }],
  });
  assert.equal(r.retries, 2);
  assert.equal(r.errors, 0);
  assert.equal(r.logins, 1);
  assert.equal(arrivals[LOGIN]?.length, 2);
  assert.equal(arrivals[MATCH]?.length, 2);
  atLeast(gaps(LOGIN)[0]!, 1000);
  atLeast(gaps(MATCH)[0]!, DEFAULT_RETRY_AFTER_MS);
  // It went on to the WebSocket with its seat: the stand-in refuses the upgrade.
  assert.equal(r.err?.kind, 'connect', String(r.err));
});

test('fractional seconds and an HTTP-date are waited for', async () => {
  const soon = new Date(Date.now() + 1500).toUTCString(); // second resolution: 0.5–1.5 s from now
  const r = await join({
    [LOGIN]: [{ status: 503, retryAfter: '0.3' }, { status: 503, retryAfter: soon }, { status: 200 }],
  });
  assert.equal(r.retries, 2);
  atLeast(gaps(LOGIN)[0]!, 300);
  assert.equal(r.err?.kind, 'matchmake', 'the script has no matchmake answer: 404');
});

test('bad Retry-After values: garbage and negative get the default wait, a huge one the cap', {
  timeout: 30_000,
}, async () => {
  for (const retryAfter of ['soon', '-5', '1e3', 'x 1']) {
    const r = await join({ [LOGIN]: [{ status: 503, retryAfter }, { status: 200 }] });
    assert.equal(r.retries, 1, retryAfter);
    atLeast(gaps(LOGIN)[0]!, DEFAULT_RETRY_AFTER_MS);
  }
  // Without the cap this would wait for ages (the test's timeout would end it).
  const r = await join(
    { [LOGIN]: [{ status: 503, retryAfter: '999999999' }, { status: 200 }] },
    {
      maxRetries: 5,
      maxWaitMs: 200,
    },
  );
  assert.equal(r.retries, 1);
  atLeast(gaps(LOGIN)[0]!, 200);
  assert.equal(r.err?.kind, 'matchmake');
});

test('refused past the retry budget: an error of its own kind, after exactly maxRetries retries', async () => {
  const r = await join({ [LOGIN]: [{ status: 503, retryAfter: '0' }] }, { maxRetries: 3, maxWaitMs: 1000 });
  assert.equal(r.retries, 3);
  assert.equal(arrivals[LOGIN]?.length, 4);
  assert.ok(r.err instanceof StepError);
  assert.equal(r.err.kind, 'login-refused');
  assert.match(r.err.message, /HTTP 503.*after 3 retries/);
});

test('a 503 without Retry-After, and other failures, are errors at once, not retries', async () => {
  for (const status of [503, 500, 401]) {
    const r = await join({ [LOGIN]: [{ status }, { status: 200 }] });
    assert.equal(r.retries, 0, String(status));
    assert.equal(arrivals[LOGIN]?.length, 1);
    assert.equal(r.err?.kind, 'login');
  }
});

test('a stopping run ends a Retry-After wait at once', { timeout: 30_000 }, async () => {
  script = { [LOGIN]: [{ status: 503, retryAfter: '600' }] };
  const metrics = new WorkerMetrics('test');
  const ctx: BotContext = {
    metrics,
    wheel: new Wheel(),
    stepTimeoutMs: 5000,
    retry: { maxRetries: 5, maxWaitMs: 600_000 },
    targets: [base],
    joined: 0,
  };
  const bot = new Bot(ctx, { name: 'b', target: base, localAddress: undefined, profile, pings: false, decodes: false });
  const started = bot.start().catch((e: unknown) => e as StepError);
  for (let i = 0; metrics.counters.retries === 0; i++) {
    assert.ok(i < 1000, 'the bot never retried');
    await new Promise((r) => setTimeout(r, 10));
  }
  bot.leave();
  const err = await started;
  assert.equal((err as StepError).kind, 'stopped');
});

test('parseRetryAfter: delay-seconds, HTTP-dates; undefined for anything else', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(' 2.5 ', now), 2500);
  assert.equal(parseRetryAfter('0', now), 0);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wednesday, 21-Oct-15 07:28:10 GMT', now), 10_000, 'RFC 850 form');
  assert.equal(parseRetryAfter('Wed Oct 21 07:29:00 2015', now), 60_000, 'asctime form');
  assert.equal(parseRetryAfter('Tue, 20 Oct 2015 07:28:00 GMT', now), 0, 'a date in the past: now');
  for (const bad of [null, '', 'soon', '-5', '1e3', 'x 1', 'Mon garbage', 'Infinity', '0x10'])
    assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
});
