/**
 * When a room's node dies or drains, its room comes back on another node under the same roomId. Re-joining means
 * asking any live node's matchmaker for the room by reconnection token; the node that answered before may be the
 * one that died, so this tries every known endpoint, with backoff, until a deadline.
 */
export interface RejoinPolicy {
  /** Every node endpoint the client knows, e.g. ["http://a:2567", "http://b:2567"]. */
  readonly endpoints: readonly string[];
  /** Give up after this long. */
  readonly timeoutMs: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * How long one attempt's matchmaking request may take. The node that died is one of the endpoints, and a connect
   * to it may hang rather than be refused (a published port whose container is gone drops the SYN); without a
   * bound, that one attempt could use up the whole deadline.
   */
  readonly attemptTimeoutMs: number;
}

export const DEFAULT_REJOIN: Omit<RejoinPolicy, 'endpoints'> = {
  timeoutMs: 15_000,
  minDelayMs: 100,
  maxDelayMs: 1_000,
  attemptTimeoutMs: 5_000,
};

/** Close codes after which the room may exist elsewhere: abnormal closure, going away, server said "try again". */
export const REJOINABLE_CODES: ReadonlySet<number> = new Set([1001, 1005, 1006, 1011, 4001, 4010]);

/**
 * Matchmaking answers a node gives when it is up and says no (unknown room, bad token, room full …): Colyseus's
 * 52x codes. Retrying those elsewhere only delays the error, except while a room is being restored (a re-join).
 */
export function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code >= 520 && code <= 529;
}

/**
 * Calls `attempt` on each endpoint in turn until one succeeds or the policy's deadline passes; an error for which
 * `retry` says false ends it at once.
 */
export async function rejoin<T>(
  policy: RejoinPolicy,
  attempt: (endpoint: string) => Promise<T>,
  retry: (err: unknown) => boolean = () => true,
): Promise<T> {
  if (policy.endpoints.length === 0) throw new Error('rejoin needs at least one endpoint');
  const deadline = Date.now() + policy.timeoutMs;
  let delay = policy.minDelayMs;
  // The last error of each endpoint: the dead node's "fetch failed" alone would hide what the live ones answered.
  const lastErrors = new Map<string, unknown>();
  let attempts = 0;
  for (; Date.now() < deadline; attempts++) {
    const endpoint = policy.endpoints[attempts % policy.endpoints.length]!;
    try {
      return await attempt(endpoint);
    } catch (err) {
      if (!retry(err)) throw err;
      lastErrors.set(endpoint, err);
    }
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
    delay = Math.min(policy.maxDelayMs, delay * 2);
  }
  const seen = [...lastErrors].map(([endpoint, err]) => `${endpoint}: ${describe(err)}`).join('; ');
  throw new Error(`could not re-join within ${policy.timeoutMs} ms (${attempts} attempts): ${seen}`);
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return [String(err), code === undefined ? '' : ` [${String(code)}]`, cause ? ` (${String(cause)})` : ''].join('');
}
