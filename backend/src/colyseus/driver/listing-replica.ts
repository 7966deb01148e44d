import { setTimeout as sleep } from 'node:timers/promises';
import type { IRoomCache } from '@colyseus/core';
import type { KvEntry } from '@nats-io/kv';
import type { Logger } from 'pino';
import { DropReporter } from '../../objects/internal.ts';
import { decodeListing } from './listing-codec.ts';

export interface ReplicaOptions {
  readonly log: Logger;
  /** Reads one key from the bucket: settles a watched delete that may be older than a local write. */
  readonly fetch: (key: string) => Promise<KvEntry | null>;
  /** Told the kind of every value dropped from the bucket, e.g. to count it in the node's metrics. */
  readonly countDrop?: (kind: string) => void;
}

/** A listing and the revision (stream sequence) it was stored at. */
export interface Held {
  readonly revision: number;
  readonly room: IRoomCache;
}

interface Entry extends Held {
  /** The watch delivered this revision or a later one, so any delete it delivers now is newer than this. */
  confirmed: boolean;
}

interface Tombstone {
  /** The revision of the listing this node deleted: the delete itself is newer, and nothing else lies between. */
  readonly revision: number;
  readonly at: number;
}

/** The watch is far behind a node's own writes only for moments; a tombstone that old has done its job. */
const TOMBSTONE_MS = 30_000;
const SETTLE_RETRY_MS = 500;

/** A write this node has issued and not yet stored: reads show its outcome (room undefined: removed) meanwhile. */
interface Pending {
  readonly room: IRoomCache | undefined;
}

/**
 * Every room listing of the bucket, decoded, answering queries without the network. Two sources feed it: the bucket
 * watch (every node's writes, in stream order) and this node's own writes, applied as soon as they are stored so the
 * writer reads them at once. Revisions decide between the two, so a late watch event never undoes a newer local write.
 * Deletes carry no revision through the mirror, hence tombstones for local deletes, and a read from the bucket when a
 * watched delete meets a local write the watch has not delivered yet.
 *
 * Reads (`get`, `keys`, `rooms`) also show this node's writes still queued or in flight, as their outcome on what is
 * held: issued in order, read in order, as on one Redis connection. Colyseus does not await `remove()` when it
 * disposes a room, and a query right after it must not find the room. `held` is what is stored, for the writer.
 */
export class ListingReplica {
  private readonly entries = new Map<string, Entry>();
  /** name → key → room: the matchmaker always looks for rooms of one name. */
  private readonly byName = new Map<string, Map<string, IRoomCache>>();
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly settling = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private garbageCount = 0;
  private stopped = false;
  private readonly drops: DropReporter;

  constructor(private readonly opts: ReplicaOptions) {
    this.drops = new DropReporter(opts.log, (kind) => {
      this.garbageCount++;
      opts.countDrop?.(kind);
    });
  }

  /** Reports a value dropped from the rooms bucket: counted, and logged at most once per kind per window. */
  get dropped(): DropReporter {
    return this.drops;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Values in the bucket that are not listings (ignored). */
  get garbage(): number {
    return this.garbageCount;
  }

  /** The listing as this node reads it: its own writes not stored yet included. */
  get(key: string): IRoomCache | undefined {
    const pending = this.pending.get(key);
    return pending ? pending.room : this.entries.get(key)?.room;
  }

  /** This node has a write to the key queued or in flight: what the bucket holds now is not what reads show. */
  isPending(key: string): boolean {
    return this.pending.has(key);
  }

  /** The listing as stored, with its revision: the base of the next compare-and-set. */
  held(key: string): Held | undefined {
    return this.entries.get(key);
  }

  /** The keys of every listing as this node reads them. */
  *keys(): Generator<string> {
    for (const key of this.entries.keys()) if (!this.pending.has(key)) yield key;
    for (const [key, { room }] of this.pending) if (room) yield key;
  }

  /** All rooms, or the rooms of one name, as this node reads them. */
  *rooms(name?: string): Generator<IRoomCache> {
    const stored = name === undefined ? this.allStored() : (this.byName.get(name)?.entries() ?? []);
    for (const [key, room] of stored) if (!this.pending.has(key)) yield room;
    for (const { room } of this.pending.values()) if (room && (name === undefined || room.name === name)) yield room;
  }

  /** This node issued a write to the key: until `settled`, reads show `room` (undefined: removed). */
  expect(key: string, room: IRoomCache | undefined): void {
    this.pending.set(key, { room });
  }

  /** Every write this node issued to the key has settled: reads show what is stored again. */
  settled(key: string): void {
    this.pending.delete(key);
  }

  /** A watch event: the entry of a PUT, undefined for a delete or purge. */
  observe(key: string, entry: KvEntry | undefined): void {
    if (entry === undefined) this.observeDelete(key);
    else this.observePut(key, entry.revision, entry.value);
  }

  /** This node stored `room` at `revision`. */
  wrote(key: string, revision: number, room: IRoomCache): void {
    if (this.outdated(key, revision)) return;
    this.tombstones.delete(key);
    this.put(key, { revision, room, confirmed: false });
  }

  /** This node deleted the listing stored at `revision`. */
  removed(key: string, revision: number): void {
    const known = this.entries.get(key);
    if (known && known.revision > revision) return;
    this.forget(key);
    this.bury(key, revision);
  }

  stop(): void {
    this.stopped = true;
  }

  private *allStored(): Generator<[string, IRoomCache]> {
    for (const [key, entry] of this.entries) yield [key, entry.room];
  }

  private observePut(key: string, revision: number, value: Uint8Array): void {
    const known = this.entries.get(key);
    if (known?.revision === revision) known.confirmed = true;
    if (this.outdated(key, revision)) return;
    this.tombstones.delete(key);
    const decoded = decodeListing(key, value);
    if ('error' in decoded) {
      // Whatever was listed under this key has been overwritten by something that is not a listing.
      this.forget(key);
      this.drops.drop('room_listing', 'the rooms bucket', { key, problem: decoded.error });
      return;
    }
    this.put(key, { revision, room: decoded.room, confirmed: true });
  }

  private observeDelete(key: string): void {
    const known = this.entries.get(key);
    if (!known) return;
    // Delivered in stream order after the listing, so newer than it.
    if (known.confirmed) this.forget(key);
    // Older than a local write not delivered yet, or newer if that write was superseded before the watch got to it
    // (history 1 keeps only the latest): only the bucket can say which.
    else void this.settle(key);
  }

  private async settle(key: string): Promise<void> {
    if (this.settling.has(key)) return;
    this.settling.add(key);
    try {
      while (!this.stopped && this.entries.get(key)?.confirmed === false) {
        try {
          this.adopt(key, await this.opts.fetch(key));
          return;
        } catch (err) {
          this.opts.log.warn({ key, err: String(err) }, 'room listing: cannot read the bucket to settle a delete');
          await sleep(SETTLE_RETRY_MS);
        }
      }
    } finally {
      this.settling.delete(key);
    }
  }

  /**
   * The listing as the bucket holds it right now, read directly and without changing the replica: for a lookup by
   * roomId that may run ahead of the watch (a room another node has just created).
   */
  async readThrough(key: string): Promise<IRoomCache | undefined> {
    const stored = await this.opts.fetch(key);
    if (stored === null || stored.operation !== 'PUT') return undefined;
    const decoded = decodeListing(key, stored.value);
    return 'error' in decoded ? undefined : decoded.room;
  }

  /** What the bucket holds for a key, read directly: newer than anything local only by its revision. */
  private adopt(key: string, stored: KvEntry | null): void {
    const known = this.entries.get(key);
    // No message at all for the key means it was removed and purged.
    if (!known || (stored !== null && stored.revision <= known.revision)) return;
    if (stored === null || stored.operation !== 'PUT') {
      this.removed(key, stored?.revision ?? known.revision);
      return;
    }
    const decoded = decodeListing(key, stored.value);
    if ('error' in decoded) this.forget(key);
    // Not confirmed: the watch may still deliver older deletes, which must be settled again.
    else this.put(key, { revision: stored.revision, room: decoded.room, confirmed: false });
  }

  /** Something at least as new is known for the key (a listing, or this node's delete). */
  private outdated(key: string, revision: number): boolean {
    const known = this.entries.get(key);
    if (known && known.revision >= revision) return true;
    const tombstone = this.tombstones.get(key);
    return tombstone !== undefined && tombstone.revision >= revision;
  }

  private put(key: string, entry: Entry): void {
    const previous = this.entries.get(key);
    if (previous && previous.room.name !== entry.room.name) this.unindex(key, previous.room.name);
    this.entries.set(key, entry);
    let named = this.byName.get(entry.room.name);
    if (!named) {
      named = new Map();
      this.byName.set(entry.room.name, named);
    }
    named.set(key, entry.room);
  }

  private forget(key: string): void {
    const previous = this.entries.get(key);
    if (!previous) return;
    this.entries.delete(key);
    this.unindex(key, previous.room.name);
  }

  private unindex(key: string, name: string): void {
    const named = this.byName.get(name);
    named?.delete(key);
    if (named?.size === 0) this.byName.delete(name);
  }

  private bury(key: string, revision: number): void {
    const now = performance.now();
    const previous = this.tombstones.get(key);
    // Re-inserted so the map stays in age order and pruning can stop at the first young one.
    this.tombstones.delete(key);
    this.tombstones.set(key, { revision: Math.max(revision, previous?.revision ?? 0), at: now });
    for (const [old, tombstone] of this.tombstones) {
      if (now - tombstone.at < TOMBSTONE_MS) break;
      this.tombstones.delete(old);
    }
  }
}
