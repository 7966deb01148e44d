// A number stored in an object's state, whatever it is, must not hang the node that loads it: a Player whose XP
// is 1e308 (once accepted by grant) used to spin forever in levelFor on its next profile(), on whichever node
// activated it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { GuestTokens } from '../../src/game/index.ts';
import type { PlayerState } from '../../src/game/objects/player.ts';
import { encodeStateKey, packValue } from '../../src/objects/internal.ts';
import { type GameNodes, startGameNodes } from '../../testing/game-nodes.ts';

let nodes: GameNodes;
before(async () => {
  nodes = await startGameNodes({ nodes: 1, cluster: true });
});
after(() => nodes?.stop());

test('a stored profile with a huge or non-finite XP loads, and the node keeps serving', async () => {
  const nc = await connect({ servers: [nodes.natsUrl!] });
  const state = await new Kvm(nc).open(`rsd_${nodes.cluster}_state`);
  const tokens = new GuestTokens(nodes.secret);
  const stored: [string, number][] = [
    ['huge-xp', 1e308],
    ['max-xp', Number.MAX_VALUE],
    ['infinite-xp', Number.POSITIVE_INFINITY],
    ['nan-xp', Number.NaN],
    ['negative-xp', -5],
  ];
  for (const [id, xp] of stored) {
    const player: PlayerState = { name: id, color: 1, xp, gamesPlayed: 0, bestMass: 0, totalEats: 0 };
    await state.put(encodeStateKey(`Player/${id}`), packValue(player));
  }
  await nc.close();
  for (const [id] of stored) {
    const res = await fetch(`${nodes.urls[0]}/api/profile`, {
      headers: { authorization: `Bearer ${tokens.issue(id, id).token}` },
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 200, id);
    const profile = (await res.json()) as { level: number };
    assert.ok(Number.isFinite(profile.level) && profile.level >= 1, `${id}: level ${profile.level}`);
  }
  const health = await fetch(`${nodes.urls[0]}/health`, { signal: AbortSignal.timeout(2000) });
  assert.equal(health.status, 200);
});
