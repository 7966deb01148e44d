// A real Colyseus 0.18 server over uWebSockets.js, driven by a real @colyseus/sdk client.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { defineRoom, Room } from '@colyseus/core';
import { type SchemaType, schema, t } from '@colyseus/schema';
import { Client, type Room as ClientRoom } from '@colyseus/sdk';
import { pino } from 'pino';
import { type RunningServer, startServer } from '../src/node/server.ts';

// Test-only room: a counter that the `inc` message bumps.
const CounterState = schema({ counter: t.number().default(0) }, 'CounterState');
type CounterState = SchemaType<typeof CounterState>;

class CounterRoom extends Room<{ state: CounterState }> {
  override state = new CounterState();
  override messages = {
    inc: () => {
      this.state.counter += 1;
    },
  };
}

const NODE_ID = 'test-node';
let server: RunningServer;
let room: ClientRoom<unknown, CounterState> | undefined;

before(async () => {
  server = await startServer({
    port: 0,
    nodeId: NODE_ID,
    logger: pino({ level: 'warn' }),
    rooms: { counter: defineRoom(CounterRoom) },
  });
});

after(async () => {
  await room?.leave();
  await server?.close();
});

test('an SDK client joins, sends inc, and sees the counter patch', async () => {
  const client = new Client(`http://127.0.0.1:${server.port}`);
  room = await within(5000, 'joinOrCreate', client.joinOrCreate<CounterState>('counter'));
  const joined = room;
  const patched = new Promise<number>((resolve) => {
    joined.onStateChange((state) => {
      if (state.counter > 0) resolve(state.counter);
    });
  });
  joined.send('inc');
  assert.equal(await within(5000, 'the state patch with counter 1', patched), 1);
});

test('GET /health answers 200 JSON with status, node id, uptime and the uWebSockets.js build', async () => {
  const res = await fetch(`http://127.0.0.1:${server.port}/health`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['node', 'status', 'uptime_s', 'uws']);
  assert.match(String(body.uws), /v20\.\d+/);
  assert.equal(body.status, 'ok');
  assert.equal(body.node, NODE_ID);
  assert.ok(Number.isInteger(body.uptime_s) && (body.uptime_s as number) >= 0, `uptime_s: ${body.uptime_s}`);
});

test('unknown paths get 404 instead of hanging; Colyseus routes still answer', async () => {
  const missing = await fetch(`http://127.0.0.1:${server.port}/nope`, { signal: AbortSignal.timeout(5000) });
  assert.equal(missing.status, 404);
  const colyseus = await fetch(`http://127.0.0.1:${server.port}/__healthcheck`, { signal: AbortSignal.timeout(5000) });
  assert.equal(colyseus.status, 200);
});

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
