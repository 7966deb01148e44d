import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Body,
  move,
  type PredictedInput,
  Predictor,
  type ServerBlob,
  type Steer,
  TICK_HZ,
  WORLD_SIZE,
} from '../game/index.ts';

const DT = 1 / TICK_HZ;

/** The server's side: applies inputs in order, one per tick, with the same shared rules. */
class FakeServerBlob {
  ack = 0;
  constructor(public body: Body) {}
  apply(input: PredictedInput): void {
    const to = move(this.body, input, DT);
    this.body = { ...this.body, x: to.x, y: to.y };
    this.ack = input.seq;
  }
  snapshot(): ServerBlob {
    return { ...this.body, ack: this.ack };
  }
}

function steerAt(i: number): Steer {
  return { dx: Math.cos(i / 7), dy: Math.sin(i / 11) * 1.5 };
}

function close(a: Body, b: Body, eps = 1e-9): void {
  assert.ok(Math.abs(a.x - b.x) < eps && Math.abs(a.y - b.y) < eps, `${JSON.stringify(a)} != ${JSON.stringify(b)}`);
}

describe('Predictor', () => {
  it('applies an input at once with the shared rules', () => {
    const start = { x: 500, y: 500, mass: 10 };
    const p = new Predictor(start);
    const input = p.apply({ dx: 1, dy: 0 });
    assert.equal(input.seq, 1);
    close(p.state, { ...move(start, { dx: 1, dy: 0 }, DT), mass: 10 });
    assert.equal(p.unacknowledged.length, 1);
  });

  it('replaying unacknowledged inputs over a laggy link converges on the server state', () => {
    const start = { x: 1500, y: 1500, mass: 10 };
    const predictor = new Predictor(start);
    const server = new FakeServerBlob({ ...start });
    const inFlight: PredictedInput[] = [];
    const snapshots: ServerBlob[] = [];
    const LAG = 4; // ticks each way
    // Where the server will be once it has applied every input sent so far: what the prediction must show.
    const future = new FakeServerBlob({ ...start });
    for (let tick = 0; tick < 200; tick++) {
      const input = predictor.apply(steerAt(tick));
      future.apply(input);
      inFlight.push(input);
      if (inFlight.length > LAG) server.apply(inFlight.shift()!);
      snapshots.push(server.snapshot());
      if (snapshots.length > LAG) predictor.reconcile(snapshots.shift()!);
      close(predictor.state, future.body, 1e-6);
      assert.ok(predictor.unacknowledged.length <= 2 * LAG + 1);
    }
    for (const input of inFlight.splice(0)) server.apply(input);
    predictor.reconcile(server.snapshot());
    close(predictor.state, server.body);
    assert.equal(predictor.unacknowledged.length, 0);
  });

  it('a server correction (push, growth, lost input) is adopted and the pending inputs replayed on top', () => {
    const start = { x: 1000, y: 1000, mass: 10 };
    const predictor = new Predictor(start);
    const server = new FakeServerBlob({ ...start });
    const sent = [1, 2, 3, 4, 5].map((i) => predictor.apply(steerAt(i)));
    server.apply(sent[0]!);
    // The server skipped input 2 (say it was dropped), then ate a lot and moved on.
    server.ack = 2;
    server.body = { ...server.body, mass: 80, x: server.body.x + 40 };
    const corrected = predictor.reconcile(server.snapshot());
    assert.ok(corrected > 0);
    const expected = new FakeServerBlob({ ...server.body });
    for (const input of sent.slice(2)) expected.apply(input);
    close(predictor.state, expected.body);
    assert.equal(predictor.state.mass, 80);
    assert.deepEqual(
      predictor.unacknowledged.map((i) => i.seq),
      [3, 4, 5],
    );
  });

  it('stale or repeated server updates do not disturb the prediction', () => {
    const start = { x: 200, y: 200, mass: 10 };
    const predictor = new Predictor(start);
    const server = new FakeServerBlob({ ...start });
    const first = server.snapshot();
    const inputs = [0, 1, 2].map((i) => predictor.apply(steerAt(i)));
    for (const input of inputs) server.apply(input);
    const latest = server.snapshot();
    predictor.reconcile(latest);
    const afterLatest = { ...predictor.state };
    predictor.reconcile(latest);
    close(predictor.state, afterLatest);
    // An older snapshot (ack 0) only replays what is still pending, which is nothing: it snaps to that state.
    assert.equal(predictor.reconcile(first) > 0, true);
    predictor.reconcile(latest);
    close(predictor.state, server.body);
  });

  it('stays inside the world and bounds its memory', () => {
    const predictor = new Predictor({ x: 20, y: 20, mass: 10 }, { maxPending: 10 });
    for (let i = 0; i < 100; i++) predictor.apply({ dx: -1, dy: -1 });
    assert.equal(predictor.unacknowledged.length, 10);
    assert.equal(predictor.unacknowledged[0]!.seq, 91);
    assert.ok(predictor.state.x > 0 && predictor.state.x < WORLD_SIZE);
  });

  it('reset jumps to a respawn point and keeps numbering inputs upward', () => {
    const predictor = new Predictor({ x: 20, y: 20, mass: 10 });
    predictor.apply({ dx: 1, dy: 0 });
    predictor.reset({ x: 900, y: 900, mass: 10 });
    assert.equal(predictor.unacknowledged.length, 0);
    assert.equal(predictor.apply({ dx: 0, dy: 0 }).seq, 2);
    close(predictor.state, { x: 900, y: 900, mass: 10 });
  });
});
