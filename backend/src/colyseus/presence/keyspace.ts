/**
 * The Redis-like data model of one presence shard, as plain data: typed keys and absolute expiry times.
 *
 * Every key, hash field and set member is stored behind a one-character prefix: state is a msgpack map when stored,
 * and msgpackr renames a `__proto__` key on load, which would silently corrupt a caller's key of that name.
 */
interface Values {
  string: string;
  hash: Record<string, string>;
  set: Record<string, 1>;
  list: string[];
}

export type Kind = keyof Values;
export type Entry = { [K in Kind]: { t: K; v: Values[K] } }[Kind];

export interface KeyspaceState {
  keys: Record<string, Entry>;
  /** Absolute epoch ms, so expiry survives the shard moving to another node. */
  expires: Record<string, number>;
}

export function emptyKeyspace(): KeyspaceState {
  return { keys: {}, expires: {} };
}

export const slot = (name: string): string => `#${name}`;
export const unslot = (stored: string): string => stored.slice(1);

/** A Redis reply error; the runtime sends its message to the caller. */
export class PresenceError extends Error {
  override readonly name = 'PresenceError';
}

export const wrongType = (): PresenceError =>
  new PresenceError('WRONGTYPE Operation against a key holding the wrong kind of value');

/** Operations on the keys of one shard; made per turn, with that turn's clock. */
export class Keyspace {
  constructor(
    private readonly state: KeyspaceState,
    readonly now = Date.now(),
  ) {}

  /** The live entry; an expired one is removed first (lazy expiry, as in Redis). */
  entry(key: string): Entry | undefined {
    const s = slot(key);
    const at = this.state.expires[s];
    if (at !== undefined && at <= this.now) this.drop(s);
    return this.state.keys[s];
  }

  read<K extends Kind>(key: string, kind: K): Values[K] | undefined {
    const e = this.entry(key);
    if (e === undefined) return undefined;
    if (e.t !== kind) throw wrongType();
    return e.v as Values[K];
  }

  /** The value to change in place, created empty (without a TTL) if the key is absent. */
  write<K extends Kind>(key: string, kind: K, empty: Values[K]): Values[K] {
    const found = this.read(key, kind);
    if (found !== undefined) return found;
    this.state.keys[slot(key)] = { t: kind, v: empty } as Entry;
    return empty;
  }

  /** Stores a new entry, keeping the key's TTL (INCR, for example). */
  put(key: string, entry: Entry): void {
    this.entry(key);
    this.state.keys[slot(key)] = entry;
  }

  /** Stores a new entry and clears the TTL, like SET. */
  replace(key: string, entry: Entry): void {
    const s = slot(key);
    this.state.keys[s] = entry;
    delete this.state.expires[s];
  }

  delete(key: string): boolean {
    if (this.entry(key) === undefined) return false;
    this.drop(slot(key));
    return true;
  }

  /** Sets the expiry of an existing key; a time already past deletes it, like EXPIRE with a non-positive TTL. */
  expireAt(key: string, at: number): boolean {
    if (this.entry(key) === undefined) return false;
    if (at <= this.now) this.drop(slot(key));
    else this.state.expires[slot(key)] = at;
    return true;
  }

  /** Redis never keeps an empty hash, set or list: the key goes, with its TTL. */
  dropIfEmpty(key: string, size: number): void {
    if (size === 0) this.drop(slot(key));
  }

  /** Removes every expired key; returns how many. */
  sweep(): number {
    let removed = 0;
    for (const [s, at] of Object.entries(this.state.expires)) {
      if (at > this.now) continue;
      this.drop(s);
      removed++;
    }
    return removed;
  }

  /** Stored keys, expired ones not yet swept included. */
  counts(): { keys: number; expiring: number } {
    return { keys: Object.keys(this.state.keys).length, expiring: Object.keys(this.state.expires).length };
  }

  private drop(s: string): void {
    delete this.state.keys[s];
    delete this.state.expires[s];
  }
}
