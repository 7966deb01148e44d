// Player profiles and the leaderboard outlive sessions, node restarts and node deaths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Profile } from '@resident/shared/game';
import { guestLogin, sdkClient } from '../../testing/game-client.ts';
import { startGameNodes } from '../../testing/game-nodes.ts';
import { waitFor } from '../../testing/support.ts';

async function profileAt(url: string, token: string): Promise<Profile> {
  const res = await fetch(`${url}/api/profile`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Profile;
}

async function leaderboardAt(url: string): Promise<{ id: string; bestMass: number }[]> {
  return (await (await fetch(`${url}/api/leaderboard`)).json()) as { id: string; bestMass: number }[];
}

/** Joins the arena at `url`, plays a moment, and leaves: the room records one game. */
async function playOneGame(url: string, token: string): Promise<string> {
  const room = await sdkClient(url, token).joinOrCreate('arena');
  // biome-ignore lint/suspicious/noExplicitAny: reflection-decoded state
  await waitFor(() => (room.state as any)?.blobs?.has(room.sessionId), 5000, 'own blob');
  await room.leave();
  return room.roomId;
}

test('profile and leaderboard survive a restart of the embedded node (LMDB)', async () => {
  const nodes = await startGameNodes({ nodes: 1, cluster: false });
  try {
    const url = nodes.urls[0]!;
    const login = await guestLogin(url, 'Persistent');
    await playOneGame(url, login.token);
    await waitFor(async () => (await profileAt(url, login.token)).gamesPlayed === 1, 5000, 'game recorded');
    await nodes.restart(0);
    const profile = await profileAt(url, login.token);
    assert.equal(profile.gamesPlayed, 1);
    assert.equal(profile.name, 'Persistent');
    assert.ok(profile.bestMass >= 10);
    await waitFor(async () => (await leaderboardAt(url)).some((e) => e.id === login.playerId), 5000, 'on the board');
  } finally {
    await nodes.stop();
  }
});

test('across a 2-node cluster: same room from either node, and profiles survive the death of their node', async () => {
  const nodes = await startGameNodes({ nodes: 2, cluster: true });
  try {
    const [url1, url2] = nodes.urls as [string, string];
    const a = await guestLogin(url1, 'Ann');
    const b = await guestLogin(url2, 'Ben');
    const roomA = await sdkClient(url1, a.token).joinOrCreate('arena');
    const roomB = await sdkClient(url2, b.token).joinOrCreate('arena');
    assert.equal(roomB.roomId, roomA.roomId, 'quick play from either node fills the same room');
    const lists = await Promise.all(nodes.urls.map(async (u) => (await fetch(`${u}/api/rooms`)).json()));
    assert.deepEqual(lists[0], lists[1], 'both nodes list the same rooms');
    const known = await Promise.all(nodes.urls.map(async (u) => (await fetch(`${u}/api/nodes`)).json()));
    const addresses = nodes.urls.map((u) => u.replace('http://', ''));
    for (const list of known) {
      assert.deepEqual(
        (list as { address: string }[]).map((n) => n.address),
        addresses,
        'each node names every serving node, so a page can re-join elsewhere',
      );
    }
    await roomA.leave();
    await roomB.leave();
    await waitFor(async () => (await profileAt(url2, a.token)).gamesPlayed === 1, 5000, "Ann's game recorded");
    const host = (await profileAt(url1, a.token)).node;
    const dead = nodes.nodeIds.indexOf(host);
    const survivor = nodes.urls[1 - dead]!;
    await nodes.kill(dead);
    await waitFor(
      async () => {
        const p = await profileAt(survivor, a.token).catch(() => undefined);
        return p?.gamesPlayed === 1 && p.node !== host;
      },
      15_000,
      'the profile back on the surviving node',
    );
    await waitFor(async () => (await leaderboardAt(survivor)).some((e) => e.id === a.playerId), 10_000, 'board');
  } finally {
    await nodes.stop();
  }
});
