import { type ResidentError, toResidentError } from '../errors.ts';
import type { ReplyFrame } from '../messaging/envelope.ts';
import { packValue, tooLarge } from '../messaging/payload.ts';
import type { InboundTurnHost } from '../messaging/turns.ts';
import type { Transport } from '../transport/transport.ts';

/** Answers calls from other nodes: the result, or the error's code and message (nothing else crosses the wire). */
export class Replies implements InboundTurnHost {
  constructor(
    private readonly transport: Transport,
    private readonly maxPayloadBytes: number,
  ) {}

  reply(to: string, id: number, err: ResidentError | undefined, result?: unknown): void {
    if (err) return this.replyError(to, id, err);
    let packed: Uint8Array;
    try {
      packed = packValue(result);
    } catch (e) {
      return this.replyError(to, id, toResidentError(e));
    }
    this.replyPacked(to, id, packed);
  }

  replyPacked(to: string, id: number, result: Uint8Array): void {
    if (result.length > this.maxPayloadBytes)
      return this.replyError(to, id, tooLarge('result', result.length, this.maxPayloadBytes));
    this.transport.send(to, { kind: 'reply', reply: { id, result } });
  }

  private replyError(to: string, id: number, err: ResidentError): void {
    const frame: ReplyFrame = { id, errorCode: err.code, errorMessage: err.message };
    this.transport.send(to, { kind: 'reply', reply: frame });
  }
}
