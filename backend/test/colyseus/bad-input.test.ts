// Bad input at the matchmaking edge: each gets a clear HTTP or close code, and the node keeps serving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineRoom, matchMaker } from '@colyseus/core';
import { Client } from '@colyseus/sdk';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { type GameTestServer, startGameTestServer } from '../../testing/game-test-server.ts';
import { PlainRoom, TallyRoom } from '../../testing/rooms.ts';

let server: GameTestServer;
let base: string;

before(async () => {
  server = await startGameTestServer({
    logger: pino({ level: 'silent' }),
    env: { RESIDENT_LOGIN_RATE: '5' },
    rooms: { tally: defineRoom(TallyRoom), plain: defineRoom(PlainRoom) },
  });
  base = server.url;
});
after(() => server?.stop());

async function matchmake(
  path: string,
  body: string,
): Promise<{ status: number; json: { code?: number; error?: string } }> {
  const res = await fetch(`${base}/matchmake/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as { code?: number; error?: string } };
}

/** Opens a room socket with a made-up or stale seat and resolves with the close code the server sends. */
function closeCodeFor(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('close', (code) => resolve(code));
    ws.once('error', reject);
  });
}

describe('matchmaking bad input', () => {
  test('a malformed JSON body gets a clear 4xx error', async () => {
    const { status, json } = await matchmake('joinOrCreate/tally', '{"name": ');
    assert.ok(status >= 400 && status < 500, `status ${status}`);
    assert.ok(json.error, `an error message: ${JSON.stringify(json)}`);
  });

  test('an unknown room name gets a clear error naming it', async () => {
    const { status, json } = await matchmake('joinOrCreate/no-such-room', '{}');
    assert.ok(status >= 400, `status ${status}`);
    assert.match(String(json.error), /no-such-room/);
  });

  test('a made-up seat reservation is refused with a close code', async () => {
    const room = await new Client(base).create('plain');
    const code = await closeCodeFor(`ws://127.0.0.1:${server.node.server.port}/${room.roomId}?sessionId=forged`);
    assert.ok(code >= 4000, `close code ${code}`);
    await room.leave();
  });

  test('an expired seat reservation is refused with a close code', async () => {
    const reserved = await fetch(`${base}/matchmake/create/plain`, { method: 'POST', body: '{}' });
    const seat = (await reserved.json()) as { sessionId: string; roomId: string };
    assert.ok(seat.sessionId, JSON.stringify(seat));
    await new Promise((r) => setTimeout(r, 1500)); // past PlainRoom's 1 s reservation
    const code = await closeCodeFor(
      `ws://127.0.0.1:${server.node.server.port}/${seat.roomId}?sessionId=${seat.sessionId}`,
    );
    assert.ok(code >= 4000, `close code ${code}`);
  });

  test('an unknown roomId is refused with a close code', async () => {
    const code = await closeCodeFor(`ws://127.0.0.1:${server.node.server.port}/nope?sessionId=x`);
    assert.ok(code >= 4000, `close code ${code}`);
  });

  test('guest logins from one address beyond the rate get 429 with a reason', async () => {
    const statuses: number[] = [];
    let refusal = '';
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${base}/api/guest`, { method: 'POST', body: JSON.stringify({ name: `Guest ${i}` }) });
      statuses.push(res.status);
      if (res.status === 429) refusal = ((await res.json()) as { error: string }).error;
      else await res.body?.cancel();
    }
    assert.ok(statuses.filter((s) => s === 200).length >= 50, 'the burst (10 × 5/s) goes through');
    assert.ok(statuses.includes(429), 'then the rate applies');
    assert.match(refusal, /too many guest logins from this address/);
  });

  test('a room refuses create options its checkpoint could not carry, whoever creates it', async () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);
    await assert.rejects(matchMaker.createRoom('tally', { deep: nest(40) }), /bad_options: room options are nested/);
    await assert.rejects(
      matchMaker.createRoom('tally', { big: 'x'.repeat(70_000) }),
      /bad_options: room options are larger/,
    );
    const fine = await matchMaker.createRoom('tally', { deep: nest(8) });
    assert.ok(fine.roomId);
  });

  test('after all that, the node still serves joins, /ready and /metrics', async () => {
    const room = await new Client(base).joinOrCreate('tally', { name: 'ok' });
    assert.ok(room.roomId);
    await room.leave();
    assert.equal((await fetch(`${base}/ready`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^# TYPE resident_activations_total counter/m);
    assert.match(metrics, /^process_cpu_seconds_total/m);
  });
});
