/**
 * A caller's call sequence numbers, and the acknowledgement it piggybacks on every call frame: the lowest sequence
 * number it has not settled. A call that got its reply is never resent, so an owner may forget every id of this
 * caller (node and epoch) below that mark: it will never see one of them again. Sequence numbers wrap past 2^32 (0
 * is skipped: it means "no id"), so "below" is serial-number order (RFC 1982), not plain `<`.
 */
export class CallSeqs {
  /** Every sequence number handed out and not yet settled (calls in flight, waiting to resend, or lingering). */
  private readonly open = new Set<number>();
  private next = 1;
  /** No open call is below this; advanced lazily by `settledBelow`. */
  private low = 1;
  /** Calls given up without an answer, as (seq, open until) pairs in the order they gave up: see `settle`. */
  private lingering: number[] = [];

  constructor(
    /** How long after its deadline a call that gave up without an answer stays open (see `settle`). */
    private readonly lingerMs: number,
  ) {}

  /** A new call's sequence number, open until `settle`. */
  take(): number {
    const seq = this.next;
    this.next = after(seq);
    this.open.add(seq);
    return seq;
  }

  /**
   * The call is over for its caller. One that was answered (a reply came) goes at once. One that gave up without an
   * answer (timed out, or its node died too close to its deadline) may still have a copy queued or held on some
   * node, which runs if it starts before that node's deadline for it; acknowledging it would let the owner forget
   * an earlier run first. So it stays open until the owners' window for it has passed.
   */
  settle(seq: number, answered: boolean, deadline: number): void {
    if (answered) this.open.delete(seq);
    else this.lingering.push(seq, deadline + this.lingerMs);
  }

  /** The acknowledgement to send: every call of this caller with a sequence number below it is settled. */
  settledBelow(): number {
    if (this.lingering.length > 0) this.release(Date.now());
    while (this.low !== this.next && !this.open.has(this.low)) this.low = after(this.low);
    return this.low;
  }

  /** Lingering calls whose time is up close. In give-up order, not time order: one may wait for an earlier one. */
  private release(now: number): void {
    let done = 0;
    while (done < this.lingering.length && this.lingering[done + 1]! <= now) {
      this.open.delete(this.lingering[done]!);
      done += 2;
    }
    if (done > 0) this.lingering.splice(0, done);
  }
}

function after(seq: number): number {
  return seq >= 0xffffffff ? 1 : seq + 1;
}

/** True if sequence number `seq` comes before `mark`, in serial-number order within half the number space. */
export function seqBefore(seq: number, mark: number): boolean {
  const distance = (mark - seq) >>> 0;
  return distance !== 0 && distance < 0x80000000;
}
