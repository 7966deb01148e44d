import { logger, type RoomException } from '@colyseus/core';

/** One full report per room and method this often; the ones in between are counted, not logged. */
const REPORT_EVERY_MS = 10_000;

const reported = new WeakMap<object, Map<string, { at: number; suppressed: number }>>();

/**
 * One room's bug must not take the node down: Colyseus calls this instead of letting the error escape. A client can
 * trigger the same error with every frame it sends, so the log gets one stack per room and method per 10 s, and
 * the number of errors left out.
 */
export function logUncaught(room: { roomName: string; roomId: string }, error: RoomException, method: string): void {
  const byMethod = reported.get(room) ?? new Map<string, { at: number; suppressed: number }>();
  reported.set(room, byMethod);
  const now = Date.now();
  const last = byMethod.get(method);
  if (last && now - last.at < REPORT_EVERY_MS) {
    last.suppressed += 1;
    return;
  }
  const more = last?.suppressed ? ` (${last.suppressed} more in ${method} since the last report)` : '';
  byMethod.set(method, { at: now, suppressed: 0 });
  logger.error(`${room.roomName} ${room.roomId}: uncaught error in ${method}${more}: ${error.stack ?? String(error)}`);
}
