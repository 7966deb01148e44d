// Full state decoding on a sample of bots, as the SDK does it: the handshake's reflection builds the Decoder, then
// ROOM_STATE and every patch go through it. A failure to decode, a tick going backwards, or a player missing its own
// blob in the arena is a correctness error. It also reads the bot's own blob's `ack` for the input→ack RTT.

import { type Decoder, type Iterator, Reflection } from '@colyseus/schema';

const OWN_BLOB_GRACE_MS = 5000;

interface ArenaLike {
  tick?: number;
  blobs?: { get(id: string): { ack?: number } | undefined };
}

export class StateCheck {
  #decoder: Decoder | undefined;
  #lastTick = -1;
  #joinedAt = 0;
  #ownSeen = false;
  #missingReported = false;

  handshake(reflection: { bytes: Uint8Array; offset: number } | undefined): void {
    if (!reflection) throw new Error('JOIN_ROOM carried no state reflection');
    this.#decoder = Reflection.decode(reflection.bytes as Buffer, { offset: reflection.offset });
    this.#joinedAt = Date.now();
  }

  /** Decodes a ROOM_STATE or ROOM_STATE_PATCH body; returns an error message when the state is wrong. */
  apply(frame: Uint8Array, it: Iterator): string | undefined {
    if (!this.#decoder) return 'state before JOIN_ROOM';
    this.#decoder.decode(frame as Buffer, it);
    const state = this.#decoder.state as ArenaLike;
    if (typeof state.tick === 'number') {
      if (state.tick < this.#lastTick) return `tick went back from ${this.#lastTick} to ${state.tick}`;
      this.#lastTick = state.tick;
    }
    return undefined;
  }

  /** The own blob's ack, or undefined; reports once when the arena never shows the player its own blob. */
  ownAck(sessionId: string): { ack?: number; problem?: string } {
    const state = this.#decoder?.state as ArenaLike | undefined;
    const blob = state?.blobs?.get(sessionId);
    if (blob) {
      this.#ownSeen = true;
      return { ack: blob.ack ?? 0 };
    }
    if (state?.blobs && !this.#ownSeen && !this.#missingReported && Date.now() - this.#joinedAt > OWN_BLOB_GRACE_MS) {
      this.#missingReported = true;
      return { problem: `own blob ${sessionId} not in the decoded state ${OWN_BLOB_GRACE_MS / 1000} s after joining` };
    }
    return {};
  }
}
