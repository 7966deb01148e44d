import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESPAWN_MS, START_MASS, speed, TICK_HZ } from '@resident/shared/game';
import { Simulation, type TickInput } from '../../src/game/arena/simulation.ts';
import { ArenaState, type Pellet } from '../../src/game/state.ts';

function arena(pellets = 0) {
  const state = new ArenaState();
  const sim = new Simulation(state, { pellets, random: seeded(7) });
  return { state, sim };
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const none = () => [];
const one = (queue: TickInput[]) => () => queue.splice(0, 1);

test('inputs move a blob one tick each, and the blob acknowledges the last applied seq', () => {
  const { sim, state } = arena();
  const blob = sim.addBlob('a', 'Ann', 0xff0000);
  blob.assign({ x: 1000, y: 1000 });
  const queue: TickInput[] = [
    { seq: 1, dx: 1, dy: 0 },
    { seq: 2, dx: 1, dy: 0 },
  ];
  sim.step(0, one(queue));
  sim.step(0, one(queue));
  assert.equal(state.blobs.get('a')?.ack, 2);
  const x2 = blob.x;
  assert.ok(Math.abs(x2 - (1000 + (2 * speed(START_MASS)) / TICK_HZ)) < 0.01);
  sim.step(0, none);
  assert.equal(blob.x, x2, 'a tick without an input does not move the blob: position follows acknowledged inputs');
  assert.equal(blob.ack, 2);
});

test('a blob eats a pellet it touches, grows, and a new pellet appears elsewhere', () => {
  const { sim, state } = arena(5);
  sim.seed();
  const blob = sim.addBlob('a', 'Ann', 0);
  const [id, pellet] = [...state.pellets.entries()][0] as [string, InstanceType<typeof Pellet>];
  blob.assign({ x: pellet.x, y: pellet.y });
  const events = sim.step(0, none);
  assert.equal(state.pellets.has(id), false);
  assert.equal(state.pellets.size, 5, 'the arena is refilled');
  assert.ok(blob.mass >= START_MASS + 1);
  assert.ok((events.eats.get('a') ?? 0) >= 1);
  assert.ok((events.xp.get('a') ?? 0) >= 1);
});

test('a larger blob eats a noticeably smaller one; the eaten blob respawns later at start mass', () => {
  const { sim } = arena();
  const big = sim.addBlob('big', 'Big', 0);
  const small = sim.addBlob('small', 'Small', 0);
  big.assign({ x: 500, y: 500, mass: 60 });
  small.assign({ x: 505, y: 500, mass: 20 });
  const events = sim.step(1000, none);
  assert.deepEqual(events.kills, [{ eater: 'big', prey: 'small', preyMass: 20 }]);
  assert.equal(small.alive, false);
  assert.equal(big.mass, 80);
  sim.step(1000 + RESPAWN_MS - 1, none);
  assert.equal(small.alive, false, 'not before the respawn delay');
  sim.step(1000 + RESPAWN_MS, none);
  assert.equal(small.alive, true);
  assert.equal(small.mass, START_MASS);
});

test('blobs of similar size do not eat each other', () => {
  const { sim } = arena();
  const a = sim.addBlob('a', 'A', 0);
  const b = sim.addBlob('b', 'B', 0);
  a.assign({ x: 500, y: 500, mass: 30 });
  b.assign({ x: 502, y: 500, mass: 26 });
  assert.deepEqual(sim.step(0, none).kills, []);
});

test('the room top 10 is refreshed once a second, biggest first', () => {
  const { sim, state } = arena();
  for (let i = 0; i < 12; i++) sim.addBlob(`b${i}`, `B${i}`, 0).assign({ x: 100 + i * 200, y: 100, mass: 10 + i });
  for (let i = 0; i < TICK_HZ; i++) sim.step(0, none);
  assert.equal(state.top.length, 10);
  assert.equal(state.top[0]?.name, 'B11');
});

test('a dead blob consumes its inputs without moving, so they are acknowledged and none apply after respawn', () => {
  const { sim } = arena();
  const big = sim.addBlob('big', 'Big', 0);
  const small = sim.addBlob('small', 'Small', 0);
  big.assign({ x: 500, y: 500, mass: 60 });
  small.assign({ x: 505, y: 500, mass: 20 });
  sim.step(0, none);
  const queue: TickInput[] = [1, 2, 3].map((seq) => ({ seq, dx: 1, dy: 0 }));
  sim.step(10, (id) => (id === 'small' ? queue.splice(0, 2) : []));
  assert.equal(small.ack, 3);
  assert.equal(queue.length, 0);
});
