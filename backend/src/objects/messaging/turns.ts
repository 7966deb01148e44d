import type { ObjectTurn } from '../catalog/turn.ts';
import type { ResidentError } from '../errors.ts';
import type { AnyResident } from '../resident.ts';
import type { OutgoingCall } from './outgoing-call.ts';

type Methods = Record<string, (...args: unknown[]) => unknown>;

function invoke(instance: AnyResident, method: string, args: unknown[]): unknown {
  return (instance as unknown as Methods)[method]!.apply(instance, args);
}

export interface LocalTurnHost {
  settleLocal(turn: LocalTurn, err: ResidentError | undefined, result: unknown): void;
  settleLocalPacked(turn: LocalTurn, result: Uint8Array): void;
}

/** A call whose caller is on this node. A class, not a literal with closures: it is made once per call. */
export class LocalTurn implements ObjectTurn {
  readonly chain: string;
  readonly deadline: number;
  readonly method: string;

  constructor(
    private readonly host: LocalTurnHost,
    readonly call: OutgoingCall,
    readonly trackId: number,
    public args: unknown[],
    /** Only for a call that went to another node before: see `Outbound.attemptLocal`. */
    readonly callKey: string | undefined,
  ) {
    this.chain = call.chain;
    this.deadline = call.deadline;
    this.method = call.method;
  }

  run(instance: AnyResident): unknown {
    return invoke(instance, this.method, this.args);
  }

  settle(err: ResidentError | undefined, result?: unknown): void {
    this.host.settleLocal(this, err, result);
  }

  settlePacked(result: Uint8Array): void {
    this.host.settleLocalPacked(this, result);
  }
}

export interface InboundTurnHost {
  reply(to: string, id: number, err: ResidentError | undefined, result?: unknown): void;
  replyPacked(to: string, id: number, result: Uint8Array): void;
}

/** A call that arrived from another node; its outcome goes back as a reply frame. */
export class InboundTurn implements ObjectTurn {
  constructor(
    private readonly host: InboundTurnHost,
    private readonly from: string,
    private readonly id: number,
    readonly method: string,
    public args: unknown[],
    readonly chain: string,
    readonly deadline: number,
    readonly callKey: string | undefined,
    readonly settledBelow: number,
  ) {}

  run(instance: AnyResident): unknown {
    return invoke(instance, this.method, this.args);
  }

  settle(err: ResidentError | undefined, result?: unknown): void {
    this.host.reply(this.from, this.id, err, result);
  }

  settlePacked(result: Uint8Array): void {
    this.host.replyPacked(this.from, this.id, result);
  }
}
