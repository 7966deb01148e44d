import type { IRoomCache, MatchMakerDriver, SortOptions } from '@colyseus/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { bucketName, checkClusterName } from '@resident/shared/nats';
import pino, { type Logger } from 'pino';
import { CasBucket, KvMirror } from '../../objects/internal.ts';
import { normalizeListing, tryListingKey } from './listing-codec.ts';
import { createAs, erase, eraseOf, modify, replaceWith } from './listing-mutations.ts';
import { ListingReplica } from './listing-replica.ts';
import { ListingWriter, type Mutation } from './listing-writer.ts';
import { type Conditions, selectAll, selectFirst } from './room-query.ts';
import { applyOperations, type UpdateOperations } from './update-ops.ts';

export interface NatsDriverOptions {
  /** Names the bucket, `rsd_<cluster>_rooms`: 1-32 of A-Z a-z 0-9 _ -, like the object runtime's cluster name. */
  readonly cluster: string;
  /** Copies the cluster keeps of each listing when this node creates the bucket: 1 by default, 3 in production. */
  readonly replicas?: number;
  readonly log?: Logger;
  /** Told the kind of every malformed value dropped from the bucket, e.g. `runtime.metrics.garbage`. */
  readonly countDrop?: (kind: string) => void;
  /**
   * This node's Colyseus processId (known once the matchmaker is set up). `findOne` then prefers, among the rooms
   * the sort ranks equal, one on this node: the seat is reserved without a call to another node, and the client's
   * socket goes to the node it is already talking to. Without it, the first match in listing order on every node
   * sends all nodes' joins to one room of one node.
   */
  readonly localProcessId?: () => string | undefined;
}

export interface NatsDriverStats {
  /** Listings in the local replica. */
  readonly listings: number;
  /** Values seen in the bucket that are not listings (ignored; the first one is logged). */
  readonly garbage: number;
}

interface Parts {
  readonly bucket: CasBucket;
  readonly mirror: KvMirror;
  readonly replica: ListingReplica;
  readonly writer: ListingWriter;
}

/**
 * Colyseus room listings in a JetStream KV bucket, one key per roomId. Every node keeps all listings in memory, kept
 * current by a watch, and answers `query`, `findOne`, `has` and `findByIds` from there without a round trip. Writes
 * are compare-and-set on the listing's revision and show in this node's replica as soon as they are stored.
 *
 * `new NatsDriver(nc, opts)` does no I/O, so it can be handed to Colyseus, whose matchmaker calls `boot()`; or
 * `await NatsDriver.open(nc, opts)`. Either way `ready` resolves once the replica holds what the bucket held at boot.
 * The connection stays the caller's: `shutdown()` stops the watch and waits for writes in flight, nothing more.
 */
export class NatsDriver implements MatchMakerDriver {
  readonly bucketName: string;
  private starting: Promise<Parts> | undefined;
  private parts: Parts | undefined;
  private closed = false;
  private readonly log: Logger;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: NatsDriverOptions,
  ) {
    this.bucketName = bucketName(checkClusterName(opts.cluster), 'rooms');
    this.log = opts.log ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  }

  static async open(nc: NatsConnection, opts: NatsDriverOptions): Promise<NatsDriver> {
    const driver = new NatsDriver(nc, opts);
    await driver.boot();
    return driver;
  }

  /** Opens the bucket and loads the replica; idempotent, and retried by the next call if it failed. */
  async boot(): Promise<void> {
    await this.start();
  }

  /** Resolves when the replica is loaded (booting the driver if nothing did yet). */
  get ready(): Promise<void> {
    return this.boot();
  }

  get stats(): NatsDriverStats {
    return { listings: this.parts?.replica.size ?? 0, garbage: this.parts?.replica.garbage ?? 0 };
  }

  async has(roomId: string): Promise<boolean> {
    const { replica } = await this.start();
    const key = tryListingKey(roomId);
    return key !== undefined && replica.get(key) !== undefined;
  }

  async query(conditions: Partial<IRoomCache>, sortOptions?: SortOptions): Promise<IRoomCache[]> {
    const { replica } = await this.start();
    return selectAll(candidates(replica, conditions), conditions, sortOptions).map(copy);
  }

  /** Colyseus types the result as a room, but every caller checks for none, as LocalDriver and RedisDriver give. */
  findOne(conditions: Partial<IRoomCache>, sortOptions?: SortOptions): Promise<IRoomCache> {
    return this.find(conditions, sortOptions) as Promise<IRoomCache>;
  }

  /** `findOne`, typed honestly. */
  async find(conditions: Partial<IRoomCache>, sortOptions?: SortOptions): Promise<IRoomCache | undefined> {
    const { replica } = await this.start();
    const local = this.opts.localProcessId?.();
    const prefer = local === undefined ? undefined : (room: IRoomCache) => room.processId === local;
    const found = selectFirst(candidates(replica, conditions), conditions, sortOptions, prefer);
    if (found) return copy(found);
    // Colyseus looks a room up by id right after another node created it; the watch may be a few ms behind.
    const key = typeof conditions.roomId === 'string' ? tryListingKey(conditions.roomId) : undefined;
    if (key === undefined || replica.get(key) !== undefined || replica.isPending(key)) return undefined;
    const stored = await replica.readThrough(key);
    return stored && selectFirst([stored], conditions) ? stored : undefined;
  }

  async findByIds(roomIds: string[]): Promise<Map<string, IRoomCache>> {
    const { replica } = await this.start();
    const found = new Map<string, IRoomCache>();
    for (const roomId of roomIds) {
      const key = tryListingKey(roomId);
      const room = key === undefined ? undefined : replica.get(key);
      if (room) found.set(roomId, copy(room));
    }
    return found;
  }

  /** Upserts, whatever `create` says (RedisDriver does the same; Colyseus passes false to re-save a listing). */
  async persist(room: IRoomCache, _create = false): Promise<boolean> {
    return this.write(room.roomId, () => replaceWith(normalizeListing(room).room));
  }

  /** Atomic: false, writing nothing, when the roomId is listed already. */
  async insert(room: IRoomCache): Promise<boolean> {
    return this.write(room.roomId, () => createAs(normalizeListing(room).room));
  }

  /**
   * Applies the operations to `room` at once, as LocalDriver and RedisDriver do (the room keeps its own copy), and
   * atomically to the stored listing: concurrent `$inc` from any number of nodes all count. Unlike RedisDriver it
   * does not bring back a listing that was removed meanwhile.
   *
   * A listing this node's replica holds is updated write-behind: true at once, as LocalDriver answers, and the write
   * follows in order. Every seat reservation awaits an update, and this spares it the JetStream round trip; reads on
   * this node show the update at once, other nodes when it is stored, as before. A listing this node does not hold
   * (or has removed) waits for the bucket: false if it is gone.
   */
  async update(room: IRoomCache, operations: UpdateOperations): Promise<boolean> {
    // Copied now: a retry after a conflict applies them again, and the caller may reuse its object.
    const ops = structuredClone(operations);
    applyOperations(room, ops);
    const key = tryListingKey(room.roomId);
    const held = key !== undefined && !this.closed && this.parts?.replica.get(key) !== undefined;
    const written = this.write(room.roomId, () => modify(ops));
    if (!held) return written;
    written.catch((err: unknown) =>
      this.log.error({ roomId: room.roomId, err: String(err) }, 'room listing update failed'),
    );
    return true;
  }

  /**
   * Never rejects: Colyseus calls it without awaiting when a room is disposed, where a rejection would be an
   * unhandled one. A failure is logged and answered false; the listing then goes with its process's cleanup.
   */
  async remove(roomId: string): Promise<boolean> {
    try {
      return await this.write(roomId, () => erase);
    } catch (err) {
      this.log.error({ roomId, err: String(err) }, 'could not remove a room listing');
      return false;
    }
  }

  /** Removes every listing of the process, as this node's replica knows them. */
  async cleanup(processId: string): Promise<void> {
    const { replica, writer } = await this.start();
    const keys = [...replica.keys()].filter((key) => replica.get(key)?.processId === processId);
    await Promise.all(keys.map((key) => writer.write(key, eraseOf(processId))));
  }

  /** Removes every listing, and anything else in the bucket. For tests, as in Colyseus. */
  async clear(): Promise<void> {
    const { mirror, replica, writer, bucket } = await this.start();
    const listings = [...replica.keys()];
    const others = [...mirror.entries.keys()].filter((key) => replica.get(key) === undefined);
    await Promise.all([
      ...listings.map((key) => writer.write(key, erase)),
      ...others.map((key) => bucket.kv.delete(key)),
    ]);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    const parts = await this.starting?.catch(() => undefined);
    if (!parts) return;
    await parts.writer.idle();
    parts.mirror.stop();
    parts.replica.stop();
  }

  /**
   * False without a usable roomId, and after shutdown: Colyseus still updates listings from timers (a lapsing seat
   * reservation) after it shut the driver down, and a rejection there would be unhandled.
   */
  private async write(roomId: unknown, prepare: () => Mutation): Promise<boolean> {
    const key = tryListingKey(roomId);
    if (key === undefined || this.closed) return false;
    // Before any await: the listing is taken as it is at the call, as RedisDriver serializes it at the call; and
    // once booted, queued at the call, so reads and writes issued after it see it.
    const mutation = prepare();
    const { writer } = this.parts ?? (await this.start());
    return writer.write(key, mutation);
  }

  private start(): Promise<Parts> {
    if (this.closed) return Promise.reject(new Error('NatsDriver is shut down'));
    if (!this.starting) {
      this.starting = this.open();
      this.starting.catch(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private async open(): Promise<Parts> {
    const bucket = await CasBucket.open(this.nc, this.bucketName, { replicas: this.opts.replicas ?? 1 });
    const replica = new ListingReplica({
      log: this.log,
      fetch: (key) => bucket.kv.get(key),
      ...(this.opts.countDrop ? { countDrop: this.opts.countDrop } : {}),
    });
    const mirror = await KvMirror.start(bucket.kv, (key, entry) => replica.observe(key, entry), replica.dropped);
    await mirror.ready;
    const writer = new ListingWriter(bucket, replica);
    this.parts = { bucket, mirror, replica, writer };
    return this.parts;
  }
}

/** Narrows the scan: by roomId to one listing, by name to that name's listings. */
function candidates(replica: ListingReplica, conditions: Conditions): Iterable<IRoomCache> {
  if (Object.hasOwn(conditions, 'roomId')) {
    const key = tryListingKey(conditions.roomId);
    const room = key === undefined ? undefined : replica.get(key);
    return room ? [room] : [];
  }
  if (Object.hasOwn(conditions, 'name'))
    return typeof conditions.name === 'string' ? replica.rooms(conditions.name) : [];
  return replica.rooms();
}

/** Callers own what they get: Colyseus mutates listings (update() does), and the replica's must stay as stored. */
function copy(room: IRoomCache): IRoomCache {
  return structuredClone(room);
}
