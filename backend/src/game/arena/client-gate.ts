// Per-client limits: a token bucket for inputs, a short queue of inputs for the simulation (one per tick), a
// sliding window for chat, and strikes for bad frames. Pure bookkeeping, given the time.
import { LIMITS } from '@resident/shared/game';
import type { TickInput } from './simulation.ts';

/** A client may run this many inputs ahead of the simulation; older ones are dropped (it is lagging). */
const QUEUE_MAX = 6;

export class ClientGate {
  private tokens: number = LIMITS.inputBurst;
  private refilledAt: number;
  private readonly queue: TickInput[] = [];
  private chats: number[] = [];
  private strikes = 0;
  lastSeq = 0;

  constructor(now: number) {
    this.refilledAt = now;
  }

  /** False when the client sends inputs faster than the limit; the input is then dropped. */
  takeInputToken(now: number): boolean {
    const elapsed = (now - this.refilledAt) / 1000;
    this.refilledAt = now;
    this.tokens = Math.min(LIMITS.inputBurst, this.tokens + elapsed * LIMITS.inputsPerSecond);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  push(input: TickInput): void {
    this.lastSeq = input.seq;
    this.queue.push(input);
    if (this.queue.length > QUEUE_MAX) this.queue.shift();
  }

  next(): TickInput | undefined {
    return this.queue.shift();
  }

  /** 'ok', or why this chat line is refused. */
  takeChat(now: number): 'ok' | 'too_fast' {
    this.chats = this.chats.filter((t) => now - t < LIMITS.chatWindowMs);
    if (this.chats.length >= LIMITS.chatPerWindow) return 'too_fast';
    this.chats.push(now);
    return 'ok';
  }

  /** Counts one broken rule; true once the client has used up its strikes. */
  strike(): boolean {
    this.strikes += 1;
    return this.strikes > LIMITS.strikes;
  }
}
