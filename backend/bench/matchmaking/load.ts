// Join load for the matchmaking benchmark: many @colyseus/sdk clients calling joinOrCreate with bounded concurrency,
// round-robin over the nodes' endpoints, each join timed from the call to the resolved (connected) room.
import { Client, type Room as ClientRoom } from '@colyseus/sdk';

export interface JoinOptions {
  readonly endpoints: readonly string[];
  readonly room: string;
  readonly clients: number;
  /** Joins in flight at once. */
  readonly concurrency: number;
  /** A join not resolved by then counts as an error (and is left if it resolves later). */
  readonly timeoutMs: number;
  readonly progress?: (done: number) => void;
}

export interface JoinRun {
  readonly joined: ClientRoom[];
  /** Per successful join, ms. */
  readonly latencies: number[];
  /** Wall time of the whole phase, s. */
  readonly seconds: number;
  /** Failed joins by error message. */
  readonly errors: Map<string, number>;
  readonly errorCount: number;
}

class JoinTimeout extends Error {}

export async function joinAll(opts: JoinOptions): Promise<JoinRun> {
  const sdk = opts.endpoints.map((e) => new Client(e));
  const joined: ClientRoom[] = [];
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let next = 0;
  let done = 0;
  const joinOne = async (i: number) => {
    const t0 = performance.now();
    const pending = sdk[i % sdk.length]!.joinOrCreate(opts.room);
    try {
      const room = await withTimeout(pending, opts.timeoutMs);
      latencies.push(performance.now() - t0);
      joined.push(room);
    } catch (err) {
      // A room that resolves after its timeout is left at once, so it holds no seat.
      if (err instanceof JoinTimeout) void pending.then((late) => late.leave(true)).catch(() => undefined);
      const message = err instanceof JoinTimeout ? `no answer in ${opts.timeoutMs} ms` : describe(err);
      errors.set(message, (errors.get(message) ?? 0) + 1);
    }
    if (++done % 250 === 0) opts.progress?.(done);
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < opts.clients) await joinOne(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
  return { joined, latencies, seconds, errors, errorCount };
}

/** Every room leaves (consented); failures to leave are counted, not thrown. */
export async function leaveAll(rooms: readonly ClientRoom[], concurrency: number): Promise<number> {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < rooms.length) {
        const room = rooms[next++]!;
        await withTimeout(room.leave(true), 10_000).catch(() => void failed++);
      }
    }),
  );
  return failed;
}

/** Clients per roomId, as the clients themselves see it. */
export function roomSizes(rooms: readonly ClientRoom[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const room of rooms) sizes.set(room.roomId, (sizes.get(room.roomId) ?? 0) + 1);
  return sizes;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new JoinTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return code === undefined ? err.message : `${code}: ${err.message}`;
  }
  return String(err);
}
