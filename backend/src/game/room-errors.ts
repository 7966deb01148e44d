import { logger, type RoomException } from '@colyseus/core';

/** One room's bug must not take the node down: Colyseus calls this instead of letting the error escape. */
export function logUncaught(room: { roomName: string; roomId: string }, error: RoomException, method: string): void {
  logger.error(`${room.roomName} ${room.roomId}: uncaught error in ${method}: ${error.stack ?? String(error)}`);
}
