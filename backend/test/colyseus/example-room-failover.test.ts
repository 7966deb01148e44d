// The docs' example room survives kill -9 of its node with no failover code of its own: its state, its players and
// their points come back on the other node under the same roomId, and its timer and handlers run there again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ResilientRoom } from '@resident/shared/net';
import type { ScoreState } from '../../src/examples/score-room.ts';
import { type ColyseusCluster, startColyseusCluster } from '../../testing/colyseus-cluster.ts';
import { waitFor } from '../../testing/support.ts';

let cluster: ColyseusCluster;
before(async () => {
  cluster = await startColyseusCluster({ nodes: 2 });
});
after(() => cluster?.close());

test('kill -9: the example room comes back on the other node with its players, points and timer', async () => {
  const endpoints = cluster.endpoints();
  const a = await ResilientRoom.create<ScoreState>(endpoints, 'score', { name: 'ann' });
  const b = await ResilientRoom.joinById<ScoreState>(endpoints, a.roomId, { name: 'bob' });
  await waitFor(() => b.state.players?.size === 2, 5000, 'both players in the state');
  for (let i = 0; i < 3; i++) a.send('score');
  await waitFor(() => b.state.players.get(a.sessionId)?.points === 3, 5000, 'ann to have 3 points');
  const host = a.state.node;
  const roomId = a.roomId;
  await new Promise((r) => setTimeout(r, 400)); // a checkpoint after the last change
  let back = 0;
  for (const r of [a, b]) r.on('reconnected', () => back++);
  await cluster.node(host).process.kill();
  await waitFor(() => back === 2, 10_000, 'both clients back in the restored room');
  // A re-join resolves at the handshake; the restored room's first state message follows it.
  const restored = (r: typeof a) => Boolean(r.state.node) && r.state.node !== host && r.state.players !== undefined;
  await waitFor(() => restored(a) && restored(b), 5000, 'the restored state');
  assert.equal(a.roomId, roomId, 'same roomId');
  assert.equal(a.state.players.size, 2, 'a move is not a leave: both players are still in the room');
  assert.equal(a.state.players.get(a.sessionId)?.points, 3, 'points from the last checkpoint');
  assert.equal(a.state.players.get(a.sessionId)?.name, 'ann');
  const round = a.state.round;
  await waitFor(() => a.state.round > round, 5000, 'the timer to run again on the new node');
  b.send('score');
  await waitFor(() => a.state.players.get(b.sessionId)?.points === 1, 5000, 'its handlers to run on the new node');
  await a.leave();
  await b.leave();
});
