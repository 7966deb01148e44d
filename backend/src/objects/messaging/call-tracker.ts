import { ErrorCode, ResidentError } from '../errors.ts';

export interface TrackedCall {
  readonly deadline: number;
  /** Node the current attempt went to; undefined while the call waits between attempts. */
  node: string | undefined;
  fail(err: ResidentError): void;
  describe(): string;
  readonly chain: string;
  readonly timeoutMs: number;
}

/**
 * Every call this node has in flight, by id. One sweep enforces all deadlines (no timer per call), and when a node
 * dies the calls sent to it fail at once instead of waiting for their deadline.
 */
export class CallTracker {
  private nextId = 1;
  private readonly calls = new Map<number, TrackedCall>();
  private readonly timer: NodeJS.Timeout;

  constructor(sweepMs: number) {
    this.timer = setInterval(() => this.sweep(Date.now()), sweepMs);
  }

  get size(): number {
    return this.calls.size;
  }

  add(call: TrackedCall): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    this.calls.set(id, call);
    return id;
  }

  take(id: number): TrackedCall | undefined {
    const call = this.calls.get(id);
    if (call) this.calls.delete(id);
    return call;
  }

  nodes(): Set<string> {
    const nodes = new Set<string>();
    for (const call of this.calls.values()) if (call.node !== undefined) nodes.add(call.node);
    return nodes;
  }

  /** The node is gone: whatever we sent it may or may not have run, so this is an error, not a retry. */
  failNode(node: string): void {
    for (const [id, call] of this.calls) {
      if (call.node !== node) continue;
      this.calls.delete(id);
      call.fail(
        new ResidentError(
          ErrorCode.NodeLost,
          `${call.describe()}: node ${node} died while the call was in flight`,
          call.chain,
        ),
      );
    }
  }

  failAll(err: (call: TrackedCall) => ResidentError): void {
    for (const call of this.calls.values()) call.fail(err(call));
    this.calls.clear();
  }

  private sweep(now: number): void {
    for (const [id, call] of this.calls) {
      if (now <= call.deadline) continue;
      this.calls.delete(id);
      call.fail(timeoutError(call));
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export function timeoutError(call: TrackedCall): ResidentError {
  return new ResidentError(
    ErrorCode.Timeout,
    `${call.describe()} timed out after ${call.timeoutMs} ms (chain ${call.chain})`,
    call.chain,
  );
}
