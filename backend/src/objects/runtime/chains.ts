/**
 * Call chain ids, `<node>:<seq>`: a call and every call it makes share one, so an object's mailbox lets a call that
 * comes back round the chain in (reentrancy) instead of deadlocking on it.
 */
export class Chains {
  private seq = 0;

  constructor(private readonly nodeId: string) {}

  next(): string {
    this.seq++;
    return `${this.nodeId}:${this.seq.toString(36)}`;
  }
}
