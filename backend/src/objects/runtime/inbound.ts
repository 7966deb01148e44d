import { ErrorCode, ResidentError, toResidentError } from '../errors.ts';
import type { CallFrame } from '../messaging/envelope.ts';
import { unpackValue } from '../messaging/payload.ts';
import { callKey } from '../messaging/recent-calls.ts';
import { InboundTurn } from '../messaging/turns.ts';
import { type ClassEntry, type ClassRegistry, checkMethod } from '../registry.ts';
import type { Chains } from './chains.ts';
import type { Dispatcher } from './dispatch.ts';
import type { Replies } from './replies.ts';

/**
 * Calls from other nodes: each frame becomes a turn of its object, or, if it names no class or method this node
 * serves or its arguments do not decode, an error reply at once.
 */
export class Inbound {
  constructor(
    private readonly registry: ClassRegistry,
    private readonly dispatcher: Dispatcher,
    private readonly replies: Replies,
    private readonly chains: Chains,
  ) {}

  onCall(from: string, frame: CallFrame): void {
    let entry: ClassEntry;
    let args: unknown;
    try {
      entry = this.registry.named(frame.cls);
      checkMethod(entry, frame.method);
      args = unpackValue(frame.args) ?? [];
      if (!Array.isArray(args)) throw new ResidentError(ErrorCode.Serialization, 'call arguments are not an array');
    } catch (err) {
      return this.replies.reply(from, frame.id, toResidentError(err));
    }
    const chain = frame.chain || this.chains.next();
    const deadline = Date.now() + frame.timeoutMs;
    const key = frame.callSeq ? callKey(from, frame.callerEpoch ?? 0, frame.callSeq) : undefined;
    const acked = frame.settledBelow ?? 0;
    const turn = new InboundTurn(this.replies, from, frame.id, frame.method, args, chain, deadline, key, acked);
    this.dispatcher.dispatch(entry, frame.key, turn);
  }
}
