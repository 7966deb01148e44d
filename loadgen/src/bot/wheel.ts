// One timer for all of a worker's bots: a wheel of 10 ms slots. Per-bot setInterval would cost a Timeout object per
// bot and a timer-list entry per tick.

const SLOT_MS = 10;
const SLOTS = 512;

export interface Timed {
  /** Called at (or just after) its due time; returns the next due time (epoch ms), or 0 to leave the wheel. */
  onTimer(now: number): number;
}

export class Wheel {
  readonly #slots: Timed[][] = Array.from({ length: SLOTS }, () => []);
  #cursor = Math.floor(Date.now() / SLOT_MS);
  #timer: NodeJS.Timeout | undefined;

  start(): void {
    this.#timer ??= setInterval(() => this.#advance(), SLOT_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const slot of this.#slots) slot.length = 0;
  }

  schedule(item: Timed, at: number): void {
    const slot = Math.max(Math.floor(at / SLOT_MS), this.#cursor + 1);
    this.#slots[slot % SLOTS]!.push(item);
  }

  #advance(): void {
    const now = Date.now();
    const until = Math.floor(now / SLOT_MS);
    // A late tick (a busy event loop) catches up on every slot it missed, but never more than one lap.
    for (let n = 0; this.#cursor < until && n < SLOTS; n++) {
      this.#cursor += 1;
      const slot = this.#slots[this.#cursor % SLOTS]!;
      if (slot.length === 0) continue;
      this.#slots[this.#cursor % SLOTS] = [];
      for (const item of slot) {
        const next = item.onTimer(now);
        if (next > 0) this.schedule(item, next);
      }
    }
    this.#cursor = Math.max(this.#cursor, until);
  }
}
