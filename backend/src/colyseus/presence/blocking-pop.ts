import type { NatsConnection } from '@nats-io/transport-node';
import type { PresenceSubjects } from './topics.ts';

export interface BlockingPopDeps {
  readonly nc: NatsConnection;
  readonly subjects: PresenceSubjects;
  /** One atomic RPOP on the key's shard. */
  readonly pop: (key: string) => Promise<string | null>;
  /** Retry at least this often: core NATS delivers push pings at most once, so one may be lost. */
  readonly pollMs: number;
}

/**
 * BRPOP without holding any shard's turn while waiting (a blocked turn would stall every key of the shard): listen
 * for the push pings of every key first, then try the keys in order, and sleep until a ping, the poll interval or
 * the deadline before trying again. `timeoutSeconds` 0 waits forever, as in Redis (until `signal` aborts).
 */
export async function blockingPop(
  deps: BlockingPopDeps,
  keys: string[],
  timeoutSeconds: number,
  signal: AbortSignal,
): Promise<[string, string] | null> {
  const deadline = timeoutSeconds > 0 ? Date.now() + timeoutSeconds * 1000 : Number.POSITIVE_INFINITY;
  const wakeup = new Wakeup(signal);
  const subs = keys.map((key) => deps.nc.subscribe(deps.subjects.list(key), { callback: () => wakeup.fire() }));
  try {
    await deps.nc.flush(); // listening before the first try, so a push right after it is not missed
    for (;;) {
      const got = await popFirst(deps.pop, keys);
      if (got) return got;
      const left = deadline - Date.now();
      if (left <= 0 || signal.aborted) return null;
      await wakeup.wait(Math.min(left, deps.pollMs));
    }
  } finally {
    for (const sub of subs) sub.unsubscribe();
    wakeup.close();
  }
}

async function popFirst(pop: BlockingPopDeps['pop'], keys: string[]): Promise<[string, string] | null> {
  for (const key of keys) {
    const value = await pop(key);
    if (value !== null) return [key, value];
  }
  return null;
}

/** A level-triggered wakeup: a ping that arrives while we are not waiting is remembered for the next wait. */
class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;
  private readonly onAbort = () => this.fire();

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.onAbort);
  }

  fire(): void {
    if (this.resolve) this.resolve();
    else this.pending = true;
  }

  wait(ms: number): Promise<void> {
    if (this.pending || this.signal.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.resolve?.(), ms);
      this.resolve = () => {
        clearTimeout(timer);
        this.resolve = undefined;
        resolve();
      };
    });
  }

  close(): void {
    this.signal.removeEventListener('abort', this.onAbort);
  }
}
