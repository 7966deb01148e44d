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
    const frame: ReplyFrame = { id };
    if (err) {
      frame.errorCode = err.code;
      frame.errorMessage = err.message;
    } else {
      try {
        frame.result = packValue(result);
        if (frame.result.length > this.maxPayloadBytes)
          throw tooLarge('result', frame.result.length, this.maxPayloadBytes);
      } catch (e) {
        const wire = toResidentError(e);
        frame.result = undefined;
        frame.errorCode = wire.code;
        frame.errorMessage = wire.message;
      }
    }
    this.transport.send(to, { kind: 'reply', reply: frame });
  }
}
