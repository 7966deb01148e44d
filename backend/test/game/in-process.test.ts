// The game's rooms and objects tested in this process, as Colyseus's ColyseusTestServer allows: a real node (real
// Colyseus, uWebSockets.js, object runtime) with the context its rooms get, and the SDK as the client.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeInput } from '@resident/shared/game';
import { Player } from '../../src/game/index.ts';
import { type GameTestServer, startGameTestServer } from '../../testing/game-test-server.ts';
import { waitFor } from '../../testing/support.ts';

let server: GameTestServer;
before(async () => {
  server = await startGameTestServer();
});
after(() => server?.stop());

// biome-ignore lint/suspicious/noExplicitAny: the SDK decodes state by reflection, untyped here
type AnyState = any;

test('join the arena, play a few ticks, leave: the Player object records the game', async () => {
  const { sdk, sub } = await server.client('inproc');
  const room = await sdk.joinOrCreate('arena');
  room.onMessage('*', () => undefined);
  await waitFor(() => (room.state as AnyState)?.blobs?.has(room.sessionId), 5000, 'the player to see its blob');
  const state = room.state as AnyState;
  assert.equal(state.node, server.context.nodeId, 'the room shows the node it got from its context');
  const tick = state.tick;
  for (let seq = 1; seq <= 5; seq++) room.sendBytes('input', encodeInput({ seq, dx: 1, dy: 0 }));
  await waitFor(() => state.tick > tick + 2 && state.blobs.get(room.sessionId)?.ack === 5, 5000, 'inputs acknowledged');
  const before = await server.context.objects.get(Player, sub).profile();
  await room.leave();
  await waitFor(
    async () => (await server.context.objects.get(Player, sub).profile()).gamesPlayed === before.gamesPlayed + 1,
    5000,
    'the game recorded on the Player object',
  );
  const profile = await server.context.objects.get(Player, sub).profile();
  assert.equal(profile.name, 'inproc');
  assert.equal(profile.node, server.context.nodeId, 'the object reports the node from its own context');
  assert.ok(profile.bestMass > 0);
});
