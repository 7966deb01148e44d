// Client-side prediction for the player's own blob: apply each input locally at once with the shared movement rules,
// remember it until the server acknowledges it, and on every server update replay the unacknowledged inputs from
// the server's position. Pure (no clock, no I/O), so it is unit-tested and could run on the server too.
import { type Body, move, type Point, type Steer, TICK_HZ } from './rules.ts';

/** One steering input; each drives exactly one simulation tick of 1/TICK_HZ seconds. */
export interface PredictedInput extends Steer {
  seq: number;
}

/** The authoritative view of the blob: where the server has it after applying inputs up to `ack`. */
export interface ServerBlob extends Body {
  ack: number;
}

export interface PredictorOptions {
  /** Seconds per input; defaults to one server tick. */
  dt?: number;
  /** Unacknowledged inputs kept at most; older ones are dropped (a server that stopped acking cannot grow memory). */
  maxPending?: number;
}

export class Predictor {
  private pending: PredictedInput[] = [];
  private nextSeq: number;
  private body: Body;
  private readonly dt: number;
  private readonly maxPending: number;

  constructor(start: Body, opts: PredictorOptions & { firstSeq?: number } = {}) {
    this.body = { ...start };
    this.dt = opts.dt ?? 1 / TICK_HZ;
    this.maxPending = opts.maxPending ?? TICK_HZ * 5;
    this.nextSeq = opts.firstSeq ?? 1;
  }

  /** Predicted position and mass now (after every input applied so far). */
  get state(): Body {
    return this.body;
  }

  /** Inputs sent but not yet acknowledged, oldest first. */
  get unacknowledged(): readonly PredictedInput[] {
    return this.pending;
  }

  /** Applies one input locally (one tick) and returns it numbered, ready to send. */
  apply(steer: Steer): PredictedInput {
    // The wire carries float32 (arena.proto); predict with exactly the numbers the server will decode.
    const input = { seq: this.nextSeq++, dx: Math.fround(steer.dx), dy: Math.fround(steer.dy) };
    this.step(input);
    this.pending.push(input);
    if (this.pending.length > this.maxPending) this.pending.shift();
    return input;
  }

  /**
   * Adopts the server's state and replays the inputs it has not applied yet. Returns how far the prediction moved,
   * which callers use to smooth the correction on screen (a large jump is a respawn or a restored room).
   */
  reconcile(server: ServerBlob): number {
    const before: Point = { x: this.body.x, y: this.body.y };
    this.pending = this.pending.filter((input) => input.seq > server.ack);
    this.body = { x: server.x, y: server.y, mass: server.mass };
    for (const input of this.pending) this.step(input);
    return Math.hypot(this.body.x - before.x, this.body.y - before.y);
  }

  /** Forgets pending inputs and jumps to `body` (respawn); numbering continues so old acks stay below new inputs. */
  reset(body: Body): void {
    this.pending = [];
    this.body = { ...body };
  }

  private step(steer: Steer): void {
    const to = move(this.body, steer, this.dt);
    this.body = { x: to.x, y: to.y, mass: this.body.mass };
  }
}
