// The arena on one real embedded node, played through the real Colyseus SDK.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Room } from '@colyseus/sdk';
import { ErrorCode, encodeInput, type GameError, LIMITS, WORLD_SIZE } from '@resident/shared/game';
import { ResilientRoom } from '@resident/shared/net';
import { GuestTokens } from '../../src/game/index.ts';
import { guestLogin, joinArena, sdkClient } from '../../testing/game-client.ts';
import { type GameNodes, startGameNodes } from '../../testing/game-nodes.ts';
import { waitFor } from '../../testing/support.ts';

let nodes: GameNodes;
let url: string;
const rooms: Room[] = [];

before(async () => {
  nodes = await startGameNodes({ nodes: 1, cluster: false });
  url = nodes.urls[0]!;
});
after(async () => {
  await Promise.allSettled(rooms.map((r) => r.connection.isOpen && r.leave()));
  await nodes.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: the SDK decodes state by reflection, untyped here
type AnyState = any;

async function player(name: string, options: Record<string, unknown> = {}): Promise<Room> {
  const room = await joinArena(url, name, options);
  rooms.push(room);
  await waitFor(() => (room.state as AnyState)?.blobs?.has(room.sessionId), 5000, `${name} to see its blob`);
  return room;
}

function errors(room: Room): GameError[] {
  const seen: GameError[] = [];
  room.onMessage('error', (e: GameError) => seen.push(e));
  return seen;
}

/** The room still simulates and this client still receives patches. */
async function stillPlaying(room: Room): Promise<void> {
  const from = (room.state as AnyState).tick as number;
  await waitFor(() => (room.state as AnyState).tick >= from + 5, 5000, 'patches to keep coming');
}

async function sendInputs(room: Room, n: number, dx: number, dy: number, startSeq = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    room.sendBytes('input', encodeInput({ seq: startSeq + i, dx, dy }));
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('playing', () => {
  test('inputs move your own blob, and the server acknowledges the last input applied', async () => {
    const room = await player('Mover');
    const me = (room.state as AnyState).blobs.get(room.sessionId);
    const x0 = me.x;
    const dir = x0 < WORLD_SIZE / 2 ? 1 : -1;
    await sendInputs(room, 10, dir, 0);
    await waitFor(() => me.ack === 10, 5000, 'ack of seq 10');
    assert.ok((me.x - x0) * dir > 50, `moved from ${x0} to ${me.x}`);
  });

  test('each client sees only its area of interest, never the whole arena', async () => {
    const room = await player('Viewer');
    const state = room.state as AnyState;
    assert.ok(state.pellets.size > 0, 'sees some pellets');
    assert.ok(state.pellets.size < 600, `sees ${state.pellets.size} of 600 pellets`);
  });

  test('chat reaches the other players in the room', async () => {
    const a = await player('Talker');
    const b = await player('Listener');
    assert.equal(a.roomId, b.roomId);
    const heard = new Promise<{ name: string; text: string }>((resolve) => b.onMessage('chat', resolve));
    a.send('chat', { text: 'hello arena' });
    const line = await heard;
    assert.equal(line.name, 'Talker');
    assert.equal(line.text, 'hello arena');
  });

  test('the client reads its own profile and the global leaderboard', async () => {
    const room = await player('Reader');
    const profile = (await room.request('profile')) as { name: string; level: number; node: string };
    assert.equal(profile.name, 'Reader');
    assert.equal(profile.level, 1);
    assert.equal(profile.node, 'node1');
    assert.ok(Array.isArray(await room.request('leaderboard')));
  });

  test('a private room is created with a short code, joined by that code, and not listed in the lobby', async () => {
    const { token } = await guestLogin(url, 'Host');
    const host = await sdkClient(url, token).create('arena', { private: true });
    rooms.push(host);
    assert.match(host.roomId, /^[A-Z2-9]{6}$/);
    await waitFor(() => (host.state as AnyState).code === host.roomId, 5000, 'the code in the state');
    const friend = await sdkClient(url, (await guestLogin(url, 'Friend')).token).joinById(host.roomId);
    rooms.push(friend);
    assert.equal(friend.roomId, host.roomId);
    const listed = (await (await fetch(`${url}/api/rooms`)).json()) as { roomId: string; node: string }[];
    assert.ok(!listed.some((r) => r.roomId === host.roomId), 'private room not in the lobby');
    assert.ok(listed.length > 0 && listed.every((r) => r.node === 'node1'), 'public rooms listed with host node');
    const quick = await player('Quick');
    assert.notEqual(quick.roomId, host.roomId, 'quick play never lands in a private room');
  });

  test('a wrong room code is refused at once, not retried until a deadline', async () => {
    const { token } = await guestLogin(url, 'Typo');
    const started = Date.now();
    await assert.rejects(ResilientRoom.joinById([url], 'NOPE99', {}, { token }), (err: { code?: number }) => {
      return err.code !== undefined && err.code >= 520;
    });
    assert.ok(Date.now() - started < 2000, `failed after ${Date.now() - started} ms`);
  });

  test('a client cannot pick the server settings of a room through join options', async () => {
    const room = await player('Sneaky', { aoi: false, maxClients: 500, tickHz: 120, code: 'ABCDEF' });
    assert.ok((room.state as AnyState).pellets.size < 600, 'still an area-of-interest view');
  });
});

describe('guest auth', () => {
  test('login validates the name', async () => {
    for (const name of ['x', 'a'.repeat(30), '<b>hi</b>', '\u0410dmin', 'Ad\u200Bmin']) {
      const res = await fetch(`${url}/api/guest`, { method: 'POST', body: JSON.stringify({ name }) });
      assert.equal(res.status, 400, name);
      assert.match(((await res.json()) as { error: string }).error, /name/);
    }
    const bad = await fetch(`${url}/api/guest`, { method: 'POST', body: '{not json' });
    assert.equal(bad.status, 400);
    const huge = await fetch(`${url}/api/guest`, {
      method: 'POST',
      body: JSON.stringify({ name: 'x'.repeat(10_000) }),
    });
    assert.equal(huge.status, 413);
  });

  test('renewing with the old token keeps the same player', async () => {
    const first = await guestLogin(url, 'Keeper');
    const again = await guestLogin(url, 'Keeper Two', first.token);
    assert.equal(again.playerId, first.playerId);
    const profile = await fetch(`${url}/api/profile`, { headers: { authorization: `Bearer ${again.token}` } });
    assert.equal(((await profile.json()) as { name: string }).name, 'Keeper Two');
  });

  const renew = (body: Record<string, unknown>) =>
    fetch(`${url}/api/guest`, { method: 'POST', body: JSON.stringify(body) }).then(async (res) => ({
      status: res.status,
      json: (await res.json()) as { playerId?: string; refresh?: string; code?: string },
    }));

  test('an expired token cannot be renewed: a stolen one dies with its expiry', async () => {
    const expired = new GuestTokens(nodes.secret).issue('stolen', 'Old', Date.now() - 8 * 24 * 3600_000).token;
    const res = await renew({ name: 'Thief', token: expired });
    assert.equal(res.status, 401);
    assert.equal(res.json.code, 'expired_token');
  });

  test('the refresh secret the page keeps renews the same player, even after its token expired', async () => {
    const first = await guestLogin(url, 'Returner');
    assert.ok(first.refresh, 'a refresh secret comes with every login');
    const again = await renew({ name: 'Returner', refresh: first.refresh });
    assert.equal(again.status, 200);
    assert.equal(again.json.playerId, first.playerId);
    const old = new GuestTokens(nodes.secret).issue('gone', 'Gone', Date.now() - 31 * 24 * 3600_000).refresh;
    assert.equal((await renew({ name: 'Gone', refresh: old })).status, 401, 'an expired refresh secret is refused');
    assert.equal((await renew({ name: 'Mixup', refresh: first.token })).status, 401, 'a token is no refresh secret');
    await assert.rejects(sdkClient(url, first.refresh).joinOrCreate('arena'), /bad_token/, 'nor the other way round');
  });

  test('a forged or expired token cannot join, and cannot read a profile', async () => {
    const forged = new GuestTokens('not-the-cluster-secret-0123456789abcdef').issue('victim', 'Eve').token;
    const expired = new GuestTokens(nodes.secret).issue('p', 'Old', Date.now() - 30 * 24 * 3600_000).token;
    await assert.rejects(sdkClient(url, forged).joinOrCreate('arena'), /bad_token/);
    await assert.rejects(sdkClient(url, expired).joinOrCreate('arena'), /expired_token/);
    await assert.rejects(sdkClient(url, '').joinOrCreate('arena'));
    const res = await fetch(`${url}/api/profile`, { headers: { authorization: `Bearer ${forged}` } });
    assert.equal(res.status, 401);
  });
});

describe('bad input: the offender gets an error code, the room and the other players carry on', () => {
  let bystander: Room;
  before(async () => {
    bystander = await player('Bystander');
  });

  async function offender(name: string): Promise<{ room: Room; seen: GameError[] }> {
    const room = await player(name);
    assert.equal(room.roomId, bystander.roomId, 'same room as the bystander');
    return { room, seen: errors(room) };
  }

  async function expectError(seen: GameError[], code: string): Promise<void> {
    await waitFor(() => seen.some((e) => e.code === code), 5000, `error ${code}`);
    await stillPlaying(bystander);
  }

  test('a malformed protobuf frame', async () => {
    const { room, seen } = await offender('Malformed');
    room.sendBytes('input', new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    await expectError(seen, ErrorCode.badFrame);
    await stillPlaying(room);
  });

  test('an unknown message type, as JSON and as bytes', async () => {
    const { room, seen } = await offender('Unknown');
    room.send('teleport', { x: 0, y: 0 });
    room.sendBytes('godmode', new Uint8Array([1]));
    await expectError(seen, ErrorCode.unknownMessage);
    await waitFor(() => seen.filter((e) => e.code === ErrorCode.unknownMessage).length === 2, 5000, 'both refused');
    await stillPlaying(room);
  });

  test('an oversized input, and an oversized WebSocket frame', async () => {
    const { room, seen } = await offender('Oversized');
    room.sendBytes('input', new Uint8Array(LIMITS.maxInputBytes + 1));
    await expectError(seen, ErrorCode.frameTooLarge);
    const closed = new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));
    room.sendBytes('input', new Uint8Array(64 * 1024)); // above the transport's 4 KB frame limit
    // uWS drops a frame over its 4 KB limit by closing the socket (1009, seen by the client as 1006).
    assert.ok([1006, 1009].includes(await closed), 'the transport closes the socket');
    await stillPlaying(bystander);
  });

  test('NaN or Infinity in inputs', async () => {
    const { room, seen } = await offender('Nan');
    const me = (room.state as AnyState).blobs.get(room.sessionId);
    room.sendBytes('input', encodeInput({ seq: 1, dx: Number.NaN, dy: 0 }));
    room.sendBytes('input', encodeInput({ seq: 2, dx: 0, dy: Number.POSITIVE_INFINITY }));
    await expectError(seen, ErrorCode.badNumber);
    await stillPlaying(room);
    assert.ok(Number.isFinite(me.x) && Number.isFinite(me.y));
    assert.equal(me.ack, 0, 'no bad input was applied');
  });

  test('inputs that arrive too fast are rate limited; a flood gets the client disconnected', async () => {
    const { room, seen } = await offender('Fast');
    for (let i = 1; i <= LIMITS.inputBurst + 5; i++) room.sendBytes('input', encodeInput({ seq: i, dx: 1, dy: 0 }));
    await expectError(seen, ErrorCode.rateLimited);
    await stillPlaying(room);
    const flood = await offender('Flood');
    const closed = new Promise<number>((resolve) => flood.room.onLeave((code) => resolve(code)));
    for (let i = 1; i <= 200; i++) flood.room.sendBytes('input', encodeInput({ seq: i, dx: 1, dy: 0 }));
    assert.equal(await closed, 4403);
    await stillPlaying(bystander);
  });

  test("a message for another player's blob", async () => {
    const { room, seen } = await offender('Hijacker');
    const victim = (bystander.state as AnyState).blobs.get(bystander.sessionId);
    const ack = victim.ack;
    room.sendBytes('input', encodeInput({ seq: 1, dx: 1, dy: 1, blob: bystander.sessionId }));
    await expectError(seen, ErrorCode.notYourBlob);
    assert.equal(victim.ack, ack);
  });

  test('chat that is too long or too fast', async () => {
    const { room, seen } = await offender('Chatty');
    room.send('chat', { text: 'x'.repeat(LIMITS.chatMaxLength + 1) });
    await expectError(seen, ErrorCode.chatTooLong);
    for (let i = 0; i <= LIMITS.chatPerWindow; i++) room.send('chat', { text: `line ${i}` });
    await expectError(seen, ErrorCode.chatTooFast);
    room.send('chat', 'not an object');
    await expectError(seen, ErrorCode.badFrame);
  });
});
