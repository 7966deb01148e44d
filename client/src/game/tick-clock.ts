// A steady TICK_HZ beat for sending inputs. The server applies one input per tick, so inputs must leave at that
// rate, not at the display's frame rate; timers drift, so each beat counts the ticks actually due since the start.
import { TICK_HZ } from '@resident/shared/game';

const TICK_MS = 1000 / TICK_HZ;
/** Beyond this many late ticks (a frozen tab) skip ahead instead of bursting inputs the server would rate-limit. */
const MAX_CATCH_UP = 3;

export class TickClock {
  private timer: ReturnType<typeof setInterval> | undefined;
  private start = 0;
  private done = 0;
  private lastTickAt = 0;

  constructor(private readonly onTick: () => void) {}

  run(): void {
    this.start = performance.now();
    this.done = 0;
    this.timer = setInterval(() => this.beat(), TICK_MS / 4);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** How far (0..1) the present is between the last tick and the next: for drawing between ticks. */
  alpha(now = performance.now()): number {
    return Math.min(1, Math.max(0, (now - this.lastTickAt) / TICK_MS));
  }

  private beat(): void {
    const now = performance.now();
    let due = Math.floor((now - this.start) / TICK_MS) - this.done;
    if (due > MAX_CATCH_UP) {
      this.done += due - 1;
      due = 1;
    }
    for (let i = 0; i < due; i++) {
      this.done += 1;
      this.lastTickAt = now;
      this.onTick();
    }
  }
}
