import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type IRoomCache, initializeRoomCache } from '@colyseus/core';
import pino, { type Logger } from 'pino';

let lastId = 0;

/** Unique per process and call, so tests never see each other's listings. */
export function uid(label: string): string {
  return `${label}-${process.pid}-${++lastId}`;
}

/** A cluster name nobody else uses: each run gets its own buckets on a shared server. */
export function randomCluster(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

/** A listing as the matchmaker builds one (initializeRoomCache), with a fresh roomId. */
export function listing(fields: Partial<IRoomCache> & Pick<IRoomCache, 'name'>): IRoomCache {
  return initializeRoomCache({ roomId: uid('room'), processId: 'proc-1', ...fields });
}

/** Polls until `check` holds; fails with `what` after `ms` (a bound for a hang, not for speed). Resolves with the elapsed ms. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(5);
  }
  return performance.now() - started;
}

export const silentLog: Logger = pino({ level: 'silent' });

/** A logger that keeps its lines, to count what was logged. */
export function capturingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }), lines };
}
