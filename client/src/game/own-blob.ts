// The player's own blob: predicted with the shared rules (no waiting for the server to see your own move),
// reconciled whenever the server's copy changes, and drawn smoothly between ticks with small corrections eased out.
import { type Body, Predictor, type Steer } from '@resident/shared/game';
import type { BlobView } from '../net/arena-state.ts';

/** Corrections bigger than this are jumps (respawn, restored room), drawn at once instead of glided. */
const SNAP_DISTANCE = 200;
/** Time constant (ms) for easing a correction away. */
const CORRECTION_MS = 120;

export class OwnBlob {
  private predictor: Predictor | undefined;
  private prev = { x: 0, y: 0 };
  private error = { x: 0, y: 0 };
  private lastServer = '';
  private lastFrame = 0;
  private lastSeq = 0;
  /** How far the last reconcile moved the prediction (for the debug hook). */
  lastCorrection = 0;

  get predicted(): Body | undefined {
    return this.predictor?.state;
  }

  /**
   * The room moved to another node: inputs sent to the old one after its last checkpoint will never be applied, so
   * start again from the restored server copy (numbering continues upward).
   */
  forget(): void {
    this.predictor = undefined;
    this.lastServer = '';
  }

  /** One input tick: moves the prediction and returns the numbered input to send, if the blob is playing. */
  tick(server: BlobView | undefined, steer: Steer): { seq: number; dx: number; dy: number } | undefined {
    if (!server?.alive) return undefined;
    this.adopt(server);
    const p = this.predictor!;
    this.prev = { x: p.state.x, y: p.state.y };
    const input = p.apply(steer);
    this.lastSeq = input.seq;
    return input;
  }

  /** Per frame: reconcile with the server copy when it changed; returns where to draw the blob. */
  frame(server: BlobView | undefined, alpha: number, now: number): Body | undefined {
    if (!server) return undefined;
    if (!server.alive) {
      this.predictor = undefined; // dead: the next life starts from the server's respawn point
      this.lastServer = '';
      return { x: server.x, y: server.y, mass: server.mass };
    }
    this.adopt(server);
    const p = this.predictor!;
    const key = `${server.ack}:${server.x}:${server.y}:${server.mass}`;
    if (key !== this.lastServer) {
      this.lastServer = key;
      const before = { ...p.state };
      this.lastCorrection = p.reconcile(server);
      this.ease(before, p.state);
    }
    const decay = Math.exp(-(now - this.lastFrame) / CORRECTION_MS);
    this.lastFrame = now;
    this.error.x *= decay;
    this.error.y *= decay;
    return {
      x: this.prev.x + (p.state.x - this.prev.x) * alpha + this.error.x,
      y: this.prev.y + (p.state.y - this.prev.y) * alpha + this.error.y,
      mass: p.state.mass,
    };
  }

  private adopt(server: BlobView): void {
    if (this.predictor) return;
    // First sight, or back from the dead: start from the server's copy; numbering continues upward.
    this.predictor = new Predictor(
      { x: server.x, y: server.y, mass: server.mass },
      {
        firstSeq: Math.max(server.ack, this.lastSeq) + 1,
      },
    );
    this.prev = { x: server.x, y: server.y };
    this.error = { x: 0, y: 0 };
  }

  /** Keeps the drawn position where it was and lets the difference fade, unless it is a jump. */
  private ease(before: Body, after: Body): void {
    const dx = after.x - before.x;
    const dy = after.y - before.y;
    this.prev.x += dx;
    this.prev.y += dy;
    if (Math.hypot(dx, dy) > SNAP_DISTANCE) {
      this.error = { x: 0, y: 0 };
      return;
    }
    this.error.x -= dx;
    this.error.y -= dy;
  }
}
