// The protobuf ping every game room answers: the client measures its round trip with its own clock.
import type { Client } from '@colyseus/core';
import { decodePing, encodePong, ServerMessage } from '@resident/shared/game';

/** Echoes the ping as a pong; false when the bytes are not a Ping. */
export function answerPing(client: Client, bytes: Uint8Array): boolean {
  try {
    client.sendBytes(ServerMessage.pong, encodePong(decodePing(bytes), Date.now()));
    return true;
  } catch {
    return false;
  }
}
