// Bad frames and message floods against the arena on a node in this process, whose log output the test counts:
// every bad frame is a strike with bounded logging, every client has a message rate, and a bystander plays on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Room } from '@colyseus/sdk';
import { encodePing, type GameError } from '@resident/shared/game';
import { pino } from 'pino';
import { logUncaught } from '../../src/game/room-errors.ts';
import { DEFAULT_LIMITS } from '../../src/node/config.ts';
import { guestLogin, sdkClient } from '../../testing/game-client.ts';
import { type GameTestServer, startGameTestServer } from '../../testing/game-test-server.ts';
import { waitFor } from '../../testing/support.ts';

let server: GameTestServer;
let url: string;
let logBytes = 0;
const rooms: Room[] = [];

before(async () => {
  const counting = {
    write: (line: string) => {
      logBytes += Buffer.byteLength(line);
    },
  };
  server = await startGameTestServer({ logger: pino({ level: 'info' }, counting) });
  url = server.url;
});
after(async () => {
  await Promise.allSettled(rooms.map((r) => r.connection.isOpen && r.leave()));
  await server?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: the SDK decodes state by reflection, untyped here
type AnyState = any;

async function player(name: string): Promise<{ room: Room; errors: GameError[]; left: Promise<number> }> {
  const { token } = await guestLogin(url, name);
  const room = await sdkClient(url, token).joinOrCreate('arena');
  rooms.push(room);
  const errors: GameError[] = [];
  room.onMessage('error', (e: GameError) => errors.push(e));
  room.onMessage('pong', () => undefined);
  const left = new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));
  await waitFor(() => (room.state as AnyState)?.blobs?.has(room.sessionId), 5000, `${name} to see its blob`);
  return { room, errors, left };
}

async function stillPlaying(room: Room): Promise<void> {
  const from = (room.state as AnyState).tick as number;
  await waitFor(() => (room.state as AnyState).tick >= from + 5, 5000, 'patches to keep coming');
}

test('2,000 input frames without a payload are bad frames: strikes, a disconnect, and little logging', {
  timeout: 30_000,
}, async () => {
  const bystander = await player('Bystander');
  const offender = await player('Empty');
  const logged = logBytes;
  // A JSON frame naming the byte handler of "input" reaches it with no bytes at all.
  for (let i = 0; i < 2000; i++) offender.room.send('_$binput');
  assert.equal(await offender.left, 4403, 'disconnected for abuse');
  assert.ok(
    offender.errors.some((e) => e.code === 'bad_frame'),
    'told why',
  );
  await stillPlaying(bystander.room);
  assert.ok(logBytes - logged < 2000, `${logBytes - logged} bytes of logs`);
});

test('a client over --max-messages per second is disconnected, and gets no reconnection seat', {
  timeout: 30_000,
}, async () => {
  const bystander = await player('Calm');
  const flooder = await player('Pinger');
  const token = flooder.room.reconnectionToken;
  // Valid pings: each is answered, none is a strike; only their number is too many.
  for (let i = 0; i < DEFAULT_LIMITS.messagesPerSecond + 30; i++) flooder.room.sendBytes('ping', encodePing(i));
  assert.equal(await flooder.left, 4002, 'Colyseus closes it (WITH_ERROR)');
  await assert.rejects(sdkClient(url, '').reconnect(token), 'its seat was not kept');
  await stillPlaying(bystander.room);
});

test('an error thrown for every frame is logged once per room and method every 10 s, with a count', async () => {
  const before = logBytes;
  const room = { roomName: 'arena', roomId: 'r1' };
  const error = Object.assign(new Error('boom'), { name: 'OnMessageException' });
  for (let i = 0; i < 500; i++) logUncaught(room, error as never, 'onMessage');
  assert.ok(logBytes - before < 2000, `${logBytes - before} bytes for 500 errors`);
  assert.ok(logBytes > before, 'the first one is logged');
});
