import { ErrorCode, ResidentError } from '../errors.ts';

export interface TrackedCall {
  readonly deadline: number;
  /** Node the current attempt went to; undefined for a local attempt. */
  node: string | undefined;
  fail(err: ResidentError): void;
  describe(): string;
  readonly chain: string;
  readonly timeoutMs: number;
  /** Why the call was resent, if it was for a reason its timeout should name (the node it went to died). */
  readonly resentBecause?: string | undefined;
}

const SLOT_BITS = 20;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
const MAX_GENERATION = 0xfff;

/**
 * Every call this node has in flight. Calls live in reused slots (no map churn on the hot path); an id is the slot
 * plus a generation, so a late reply to a finished call can never settle the call that reused its slot.
 * One sweep enforces all deadlines, and when a node dies the calls sent to it are handed back at once.
 */
export class CallTracker {
  private readonly slots: (TrackedCall | undefined)[] = [];
  private readonly generations: number[] = [];
  private readonly free: number[] = [];
  private live = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(sweepMs: number) {
    this.timer = setInterval(() => this.sweep(Date.now()), sweepMs);
  }

  get size(): number {
    return this.live;
  }

  add(call: TrackedCall): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.slots.length;
      if (slot > SLOT_MASK) throw new ResidentError(ErrorCode.Overloaded, 'more than a million calls in flight');
      this.slots.push(undefined);
      this.generations.push(0);
    }
    const generation = (this.generations[slot]! + 1) & MAX_GENERATION;
    this.generations[slot] = generation;
    this.slots[slot] = call;
    this.live++;
    return (generation * (SLOT_MASK + 1) + slot) >>> 0;
  }

  take(id: number): TrackedCall | undefined {
    const slot = id & SLOT_MASK;
    const call = this.slots[slot];
    if (!call || this.generations[slot] !== Math.floor(id / (SLOT_MASK + 1))) return undefined;
    this.release(slot);
    return call;
  }

  private release(slot: number): void {
    this.slots[slot] = undefined;
    this.free.push(slot);
    this.live--;
  }

  nodes(): Set<string> {
    const nodes = new Set<string>();
    for (const call of this.slots) if (call?.node !== undefined) nodes.add(call.node);
    return nodes;
  }

  /** The node is gone: its calls leave the tracker, for the caller to resend or fail. */
  takeSentTo(node: string): TrackedCall[] {
    const taken: TrackedCall[] = [];
    for (let slot = 0; slot < this.slots.length; slot++) {
      const call = this.slots[slot];
      if (call?.node !== node) continue;
      this.release(slot);
      taken.push(call);
    }
    return taken;
  }

  failAll(err: (call: TrackedCall) => ResidentError): void {
    this.failWhere(() => true, err);
  }

  private sweep(now: number): void {
    if (this.live === 0) return;
    this.failWhere((call) => now > call.deadline, timeoutError);
  }

  private failWhere(match: (call: TrackedCall) => boolean, err: (call: TrackedCall) => ResidentError): void {
    for (let slot = 0; slot < this.slots.length; slot++) {
      const call = this.slots[slot];
      if (!call || !match(call)) continue;
      this.release(slot);
      call.fail(err(call));
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export function timeoutError(call: TrackedCall): ResidentError {
  return new ResidentError(
    ErrorCode.Timeout,
    `${call.describe()} timed out after ${call.timeoutMs} ms (chain ${call.chain})${call.resentBecause ? `; resent because ${call.resentBecause}` : ''}`,
    call.chain,
  );
}
