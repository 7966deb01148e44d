// The arena survives its node: after kill -9 its players are back in the same room on a survivor, with their blobs,
// and play (inputs, acks, views) continues.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeInput } from '@resident/shared/game';
import { ResilientRoom } from '@resident/shared/net';
import { guestLogin } from '../../testing/game-client.ts';
import { startGameNodes } from '../../testing/game-nodes.ts';
import { waitFor } from '../../testing/support.ts';

// biome-ignore lint/suspicious/noExplicitAny: reflection-decoded state
type AnyState = any;

test('kill -9 of the arena host: both players re-join the restored room and keep playing', async () => {
  const nodes = await startGameNodes({ nodes: 2, cluster: true });
  try {
    const endpoints = nodes.urls;
    const join = async (name: string) => {
      const { token } = await guestLogin(endpoints[0]!, name);
      return ResilientRoom.joinOrCreate<AnyState>(endpoints, 'arena', {}, { token });
    };
    const a = await join('Ann');
    const b = await join('Ben');
    assert.equal(a.roomId, b.roomId);
    await waitFor(() => a.state?.blobs?.has(a.sessionId) && a.state.node, 5000, 'first state');
    const host = a.state.node as string;
    const sessionA = a.sessionId;
    let seq = 0;
    const steer = setInterval(() => a.sendBytes('input', encodeInput({ seq: ++seq, dx: 1, dy: 0 })), 50);
    try {
      await waitFor(() => a.state.blobs.get(sessionA)?.ack > 5, 5000, 'inputs acknowledged');
      await new Promise((r) => setTimeout(r, 400)); // a checkpoint after the first moves
      const reconnected: string[] = [];
      a.on('reconnected', () => reconnected.push('a'));
      b.on('reconnected', () => reconnected.push('b'));
      const killedAt = Date.now();
      await nodes.kill(nodes.nodeIds.indexOf(host));
      await waitFor(() => reconnected.length === 2, 15_000, 'both players to re-join');
      console.log(`arena restored and both players back after ${((Date.now() - killedAt) / 1000).toFixed(2)} s`);
      assert.notEqual(a.state.node, host, 'now hosted by the survivor');
      assert.equal(a.sessionId, sessionA, 'same seat');
      // Each sees its own blob (the other may be outside its area of interest).
      await waitFor(() => a.state.blobs?.has(sessionA) && b.state.blobs?.has(b.sessionId), 5000, 'own blobs');
      const ackAfter = a.state.blobs.get(sessionA).ack;
      await waitFor(() => a.state.blobs.get(sessionA).ack > ackAfter + 5, 5000, 'inputs acknowledged again');
      await waitFor(() => a.state.pellets.size > 0, 5000, 'an area-of-interest view again');
    } finally {
      clearInterval(steer);
    }
    await a.leave();
    await b.leave();
  } finally {
    await nodes.stop();
  }
});
