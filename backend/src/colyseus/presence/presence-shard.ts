import { z } from 'zod';
import { Resident } from '../../objects/index.ts';
import { emptyKeyspace, Keyspace, type KeyspaceState, PresenceError, slot, unslot } from './keyspace.ts';

/** How often an active shard removes expired keys nobody reads (reads already treat them as absent). */
const SWEEP_MS = 1000;

// Shapes only: integers, TTLs and types are checked by the commands themselves, with Redis's error messages.
const key = z.string().max(1024);
const value = z.string().max(512 * 1024);
const values = z.array(value).max(10_000);
const n = z.number();
const none = z.tuple([]);

/**
 * One shard of the presence keyspace: the authority for its keys. Each method is one Redis command and runs as one
 * turn, so it is atomic; the state is durable, so keys, and their absolute expiry times, survive moves and failover.
 * Validation happens before any change, because a turn that throws still stores what it changed.
 */
export class PresenceShard extends Resident<KeyspaceState> {
  /** The wire and storage name: fixed, so a rename or a minifier cannot orphan stored shards. */
  static readonly typeName: string = 'PresenceShard';
  static readonly expose = {
    stats: none,
    exists: z.tuple([key]),
    del: z.tuple([key]),
    expire: z.tuple([key, n]),
    get: z.tuple([key]),
    set: z.tuple([key, value]),
    setex: z.tuple([key, value, n]),
    incrby: z.tuple([key, n]),
    hset: z.tuple([key, key, value]),
    hincrby: z.tuple([key, key, n]),
    hincrbyex: z.tuple([key, key, n, n]),
    hget: z.tuple([key, key]),
    hgetall: z.tuple([key]),
    hdel: z.tuple([key, key]),
    hlen: z.tuple([key]),
    sadd: z.tuple([key, value]),
    srem: z.tuple([key, value]),
    smembers: z.tuple([key]),
    sismember: z.tuple([key, value]),
    scard: z.tuple([key]),
    rpush: z.tuple([key, values]),
    lpush: z.tuple([key, values]),
    rpop: z.tuple([key]),
    lpop: z.tuple([key]),
    llen: z.tuple([key]),
  };

  static initial(): KeyspaceState {
    return emptyKeyspace();
  }

  override onActivate(): void {
    this.setTimer(() => this._sweep(), SWEEP_MS, { repeat: true });
  }

  private _sweep(): void {
    this._keys().sweep();
  }

  private _keys(): Keyspace {
    return new Keyspace(this.state);
  }

  /** Raw counts, expired keys not yet swept included: for metrics and tests. */
  stats(): { keys: number; expiring: number } {
    return this._keys().counts();
  }

  // --- keys and strings ---

  exists(key: string): boolean {
    return this._keys().entry(key) !== undefined;
  }

  del(key: string): boolean {
    return this._keys().delete(key);
  }

  expire(key: string, seconds: number): boolean {
    const ks = this._keys();
    return ks.expireAt(key, ks.now + ttlMs(seconds, 'expire'));
  }

  get(key: string): string | null {
    return this._keys().read(key, 'string') ?? null;
  }

  set(key: string, value: string): void {
    this._keys().replace(key, { t: 'string', v: value });
  }

  setex(key: string, value: string, seconds: number): void {
    const ms = ttlMs(seconds, 'setex');
    if (ms <= 0) throw new PresenceError("ERR invalid expire time in 'setex' command");
    const ks = this._keys();
    ks.replace(key, { t: 'string', v: value });
    ks.expireAt(key, ks.now + ms);
  }

  incrby(key: string, by: number): number {
    const ks = this._keys();
    const current = ks.read(key, 'string');
    const next = add(parseInteger(current ?? '0', 'ERR value is not an integer or out of range'), by);
    ks.put(key, { t: 'string', v: String(next) });
    return next;
  }

  // --- hashes ---

  /** True when the field is new, false when it was overwritten (HSET's count, as RedisPresence reports it). */
  hset(key: string, field: string, value: string): boolean {
    const hash = this._keys().write(key, 'hash', {});
    const added = hash[slot(field)] === undefined;
    hash[slot(field)] = value;
    return added;
  }

  hincrby(key: string, field: string, by: number): number {
    const ks = this._keys();
    const current = ks.read(key, 'hash')?.[slot(field)];
    const next = add(parseInteger(current ?? '0', 'ERR hash value is not an integer'), by);
    ks.write(key, 'hash', {})[slot(field)] = String(next);
    return next;
  }

  /** HINCRBY then EXPIRE on the hash, as RedisPresence runs them in one MULTI: every call restarts the TTL. */
  hincrbyex(key: string, field: string, by: number, seconds: number): number {
    const ms = ttlMs(seconds, 'expire');
    const next = this.hincrby(key, field, by);
    const ks = this._keys();
    ks.expireAt(key, ks.now + ms);
    return next;
  }

  hget(key: string, field: string): string | null {
    return this._keys().read(key, 'hash')?.[slot(field)] ?? null;
  }

  /** Pairs, not an object: a field named `__proto__` would not survive as an object key on the wire. */
  hgetall(key: string): [string, string][] {
    const hash = this._keys().read(key, 'hash') ?? {};
    return Object.entries(hash).map(([f, v]) => [unslot(f), v]);
  }

  hdel(key: string, field: string): boolean {
    const ks = this._keys();
    const hash = ks.read(key, 'hash');
    if (hash?.[slot(field)] === undefined) return false;
    delete hash[slot(field)];
    ks.dropIfEmpty(key, Object.keys(hash).length);
    return true;
  }

  hlen(key: string): number {
    return Object.keys(this._keys().read(key, 'hash') ?? {}).length;
  }

  // --- sets ---

  sadd(key: string, member: string): number {
    const set = this._keys().write(key, 'set', {});
    if (set[slot(member)] !== undefined) return 0;
    set[slot(member)] = 1;
    return 1;
  }

  srem(key: string, member: string): number {
    const ks = this._keys();
    const set = ks.read(key, 'set');
    if (set?.[slot(member)] === undefined) return 0;
    delete set[slot(member)];
    ks.dropIfEmpty(key, Object.keys(set).length);
    return 1;
  }

  smembers(key: string): string[] {
    return Object.keys(this._keys().read(key, 'set') ?? {}).map(unslot);
  }

  sismember(key: string, member: string): number {
    return this._keys().read(key, 'set')?.[slot(member)] === undefined ? 0 : 1;
  }

  scard(key: string): number {
    return Object.keys(this._keys().read(key, 'set') ?? {}).length;
  }

  // --- lists ---

  rpush(key: string, values: string[]): number {
    if (values.length === 0) throw new PresenceError("ERR wrong number of arguments for 'rpush' command");
    const list = this._keys().write(key, 'list', []);
    list.push(...values);
    return list.length;
  }

  /** Each value goes to the head in turn, so `lpush(k, 'a', 'b')` leaves `b, a`, as in Redis. */
  lpush(key: string, values: string[]): number {
    if (values.length === 0) throw new PresenceError("ERR wrong number of arguments for 'lpush' command");
    const list = this._keys().write(key, 'list', []);
    list.unshift(...values.slice().reverse());
    return list.length;
  }

  rpop(key: string): string | null {
    return this._pop(key, (list) => list.pop());
  }

  lpop(key: string): string | null {
    return this._pop(key, (list) => list.shift());
  }

  llen(key: string): number {
    return this._keys().read(key, 'list')?.length ?? 0;
  }

  private _pop(key: string, take: (list: string[]) => string | undefined): string | null {
    const ks = this._keys();
    const list = ks.read(key, 'list');
    if (list === undefined) return null;
    const value = take(list) ?? null;
    ks.dropIfEmpty(key, list.length);
    return value;
  }
}

function ttlMs(seconds: number, command: string): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
    throw new PresenceError(`ERR value is not an integer or out of range ('${command}')`);
  }
  return seconds * 1000;
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/** Counters are kept as decimal strings, as Redis keeps them, so `get` after `incr` returns "1". */
function parseInteger(text: string, message: string): number {
  const n = Number(text);
  if (!INTEGER.test(text) || !Number.isSafeInteger(n)) throw new PresenceError(message);
  return n;
}

/** Safe integers only (±2^53), not Redis' full 64 bits: enough for counters, and exact in JavaScript numbers. */
function add(a: number, by: number): number {
  if (!Number.isSafeInteger(by)) throw new PresenceError('ERR value is not an integer or out of range');
  const sum = a + by;
  if (!Number.isSafeInteger(sum)) throw new PresenceError('ERR increment or decrement would overflow');
  return sum;
}

/**
 * The same keyspace, in memory only, for coordination keys that live seconds (Colyseus's create locks): a command is
 * answered without a store write. Moving the shard or losing its node forgets them, as their expiry soon would.
 */
export class VolatilePresenceShard extends PresenceShard {
  static override readonly typeName: string = 'VolatilePresenceShard';
  static override durable = false;
}

/** Both shard classes: every host node registers them, since any node may own any shard. */
export const PRESENCE_CLASSES = [PresenceShard, VolatilePresenceShard] as const;
