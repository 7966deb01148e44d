// Per-client limits: token buckets for inputs and requests, a short queue of inputs for the simulation, a sliding
// window for chat, flood detection, and strikes for refused messages. Pure bookkeeping, given the time.
import { LIMITS, TokenBucket } from '@resident/shared/game';
import type { TickInput } from './simulation.ts';

/** A client may run this many inputs ahead of the simulation; older ones are dropped (it is lagging). */
const QUEUE_MAX = 6;
/** With more than this many inputs queued the simulation applies two per tick, to catch up after a stall. */
const CATCH_UP_ABOVE = 2;
const REQUEST_BURST = 5;

export type InputVerdict = 'ok' | 'rate_limited' | 'flood';

export class ClientGate {
  private readonly inputs: TokenBucket;
  private readonly requests: TokenBucket;
  private readonly queue: TickInput[] = [];
  private chats: number[] = [];
  private strikes: number[] = [];
  private dropped = { second: 0, count: 0 };
  lastSeq = 0;

  constructor(now: number) {
    this.inputs = new TokenBucket(LIMITS.inputsPerSecond, LIMITS.inputBurst, now);
    this.requests = new TokenBucket(LIMITS.requestsPerSecond, REQUEST_BURST, now);
  }

  /** Whether an input may be queued; a client far over the rate for a second is flooding. */
  admitInput(now: number): InputVerdict {
    if (this.inputs.take(now)) return 'ok';
    const second = Math.floor(now / 1000);
    if (second !== this.dropped.second) this.dropped = { second, count: 0 };
    this.dropped.count += 1;
    return this.dropped.count > LIMITS.floodDrops ? 'flood' : 'rate_limited';
  }

  takeRequest(now: number): boolean {
    return this.requests.take(now);
  }

  push(input: TickInput): void {
    this.lastSeq = input.seq;
    this.queue.push(input);
    if (this.queue.length > QUEUE_MAX) this.queue.shift();
  }

  /** The inputs for this tick: one, or two while the client is catching up, or none. */
  take(): TickInput[] {
    const n = this.queue.length > CATCH_UP_ABOVE ? 2 : 1;
    return this.queue.splice(0, n);
  }

  /** 'ok', or why this chat line is refused. */
  takeChat(now: number): 'ok' | 'too_fast' {
    this.chats = this.chats.filter((t) => now - t < LIMITS.chatWindowMs);
    if (this.chats.length >= LIMITS.chatPerWindow) return 'too_fast';
    this.chats.push(now);
    return 'ok';
  }

  /** Counts one refused message; true once the client has used up its strikes within the window. */
  strike(now: number): boolean {
    this.strikes = this.strikes.filter((t) => now - t < LIMITS.strikeWindowMs);
    this.strikes.push(now);
    return this.strikes.length > LIMITS.strikes;
  }
}
