// Watches this process's matchmaking driver and presence from the outside, without changing what they do: times
// their calls, and counts `findOne({ roomId })` calls that find nothing, telling apart a room that shows up a moment
// later (it was listed; this node's view was behind) from one that is really gone. Colyseus relies on that lookup
// right after another node announced a new room.
import { type IRoomCache, type MatchMakerDriver, matchMaker, type Presence } from '@colyseus/core';
import { note, time } from './matchmaking-tally.ts';

const RECHECK_MS = 1000;
const DRIVER_CALLS = ['update', 'insert', 'persist', 'remove', 'findOne'] as const;
const PRESENCE_CALLS = ['hincrbyex', 'hgetall', 'hset', 'subscribe', 'publish', 'channels'] as const;

type FindOne = MatchMakerDriver['findOne'];

export function probeMatchmaking(): void {
  probeFindOne(matchMaker.driver);
  probeCreateLock(matchMaker.presence);
  timeCalls('driver', matchMaker.driver, DRIVER_CALLS);
  timeCalls('presence', matchMaker.presence, PRESENCE_CALLS);
}

/**
 * joinOrCreate waits for the room another joiner is creating on a `concurrent:` topic (Colyseus's create lock); a
 * wait that ends without a room id (its own timeout, or another waiter's unsubscribe of the whole topic) makes
 * that joiner look for a room, or create one, itself. Counts how waits end.
 */
function probeCreateLock(presence: Presence): void {
  const waiting = new Map<string, { got: boolean }[]>();
  const { subscribe, unsubscribe } = presence;
  presence.subscribe = (topic: string, callback: (...args: unknown[]) => void) => {
    if (!topic.startsWith('concurrent:')) return subscribe.call(presence, topic, callback);
    const wait = { got: false };
    waiting.set(topic, [...(waiting.get(topic) ?? []), wait]);
    return subscribe.call(presence, topic, (...args: unknown[]) => {
      wait.got = true;
      callback(...args);
    });
  };
  presence.unsubscribe = (topic: string, callback?: (...args: unknown[]) => void) => {
    const waits = callback === undefined ? waiting.get(topic) : undefined;
    if (waits) {
      waiting.delete(topic);
      // Waiters unsubscribe the whole topic from inside the delivery, before the other waiters' callbacks ran: look
      // once this delivery is over.
      queueMicrotask(() => {
        for (const w of waits)
          note(w.got ? 'create-lock wait got the room id' : 'create-lock wait ended without a room id');
      });
    }
    return unsubscribe.call(presence, topic, callback);
  };
}

/** Replaces each named method on the instance with one that times the promise it returns. */
function timeCalls(prefix: string, target: object, names: readonly string[]): void {
  const methods = target as Record<string, unknown>;
  for (const name of names) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      const out: unknown = original.apply(target, args);
      if (out instanceof Promise)
        void out.finally(() => time(`${prefix}.${name}`, performance.now() - t0)).catch(() => {});
      return out;
    };
  }
}

function probeFindOne(driver: MatchMakerDriver): void {
  const findOne: FindOne = driver.findOne.bind(driver);
  driver.findOne = ((conditions: Partial<IRoomCache>, sort) => {
    const roomId = conditions.roomId;
    if (roomId === undefined) return findOne(conditions, sort);
    return (async () => {
      const found = await findOne(conditions, sort);
      if (!found) void recheck(findOne, roomId);
      return found;
    })() as ReturnType<FindOne>;
  }) as FindOne;
}

/** Polls until the room is listed here, up to RECHECK_MS: how far behind this node's view was, or that it is gone. */
async function recheck(findOne: FindOne, roomId: string): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < RECHECK_MS) {
    await new Promise((r) => setTimeout(r, 5));
    if (await findOne({ roomId })) {
      time('findOne(roomId) miss, then listed here after', performance.now() - t0);
      return;
    }
  }
  note(`findOne(roomId) found no room, nor ${RECHECK_MS} ms later`);
}
