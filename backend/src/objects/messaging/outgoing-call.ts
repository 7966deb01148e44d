import { ErrorCode, type ResidentError, toResidentError } from '../errors.ts';
import type { ClassEntry } from '../registry.ts';
import type { CallSeqs } from './call-seqs.ts';
import type { TrackedCall } from './call-tracker.ts';
import { copyArgs, packArgs, unpackValue } from './payload.ts';

/** Errors after which the call certainly did not run, so the runtime resends it without bothering the caller. */
const RESEND = new Set<string>([ErrorCode.NotOwner, ErrorCode.CommitFailed]);

/** True for an error a caller answers by resending the call (under the same call id). */
export function resentOn(err: ResidentError): boolean {
  return RESEND.has(err.code);
}

/** One call from this node, across however many attempts it takes to reach the object's owner. */
export class OutgoingCall implements TrackedCall {
  node: string | undefined;
  attempts = 0;
  resentBecause: string | undefined;
  /** Set when the call first leaves the node; remote latency is measured from here. */
  started = 0;

  /**
   * The call's id across resends, with this caller's node and epoch; 0 until it first leaves the node (see
   * `Outbound.attempt`): a call that never does needs none, and costs the acknowledgements nothing.
   */
  seq = 0;

  private packed: Uint8Array | undefined;
  private copied: unknown[] | undefined;

  /** An attempt went to another node, which may have run it: later attempts must be recognisable as resends. */
  get sentAway(): boolean {
    return this.started > 0;
  }

  constructor(
    readonly entry: ClassEntry,
    readonly key: string,
    readonly id: string,
    private readonly seqs: CallSeqs,
    readonly shard: number,
    readonly method: string,
    args: unknown[],
    readonly chain: string,
    readonly timeoutMs: number,
    readonly deadline: number,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (err: ResidentError) => void,
    remoteFirst: boolean,
  ) {
    // Copy now: the caller may change its arguments as soon as the call returns its promise.
    if (remoteFirst) this.packed = packArgs(args);
    else this.copied = copyArgs(args);
  }

  get packedArgs(): Uint8Array {
    this.packed ??= packArgs(this.copied!);
    return this.packed;
  }

  get localArgs(): unknown[] {
    this.copied ??= unpackValue(this.packed!) as unknown[];
    return this.copied;
  }

  describe(): string {
    return `${this.id}.${this.method}`;
  }

  shouldResend(err: ResidentError, backoffMs: number): boolean {
    return resentOn(err) && Date.now() + backoffMs < this.deadline;
  }

  succeed(value: unknown): void {
    if (this.seq) this.seqs.settle(this.seq, true, this.deadline);
    this.resolve(value);
  }

  /** `answered`: the error came as the call's reply, not from giving up on it (a timeout, a lost node). */
  fail(err: ResidentError, answered = false): void {
    if (this.seq) this.seqs.settle(this.seq, answered, this.deadline);
    this.reject(toResidentError(err, this.chain));
  }
}
