import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Room } from '@colyseus/core';
import { pack } from 'msgpackr';
import { restoreState } from '../../src/colyseus/rooms/room-state.ts';
import { Simulation } from '../../src/game/arena/simulation.ts';
import { ArenaState } from '../../src/game/state.ts';

test('a restored room holds exactly the checkpoint: what its onCreate seeded does not survive next to it', () => {
  const saved = new ArenaState();
  new Simulation(saved, { pellets: 50 }).seed();
  saved.tick = 77;
  const fresh = new ArenaState();
  new Simulation(fresh, { pellets: 600 }).seed(); // what onCreate did on the restoring node
  restoreState({ state: fresh } as unknown as Room, pack(saved.toJSON()));
  assert.equal(fresh.pellets.size, 50);
  assert.equal(fresh.tick, 77);
  assert.deepEqual(fresh.toJSON(), saved.toJSON());
});
