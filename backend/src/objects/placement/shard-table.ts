import type { KvEntry } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { DropReporter } from '../drop-reporter.ts';
import { isActiveHost, type Membership } from '../membership/member.ts';
import type { RuntimeMetrics } from '../metrics.ts';
import type { CasBucket } from '../transport/cas-bucket.ts';
import { KvMirror } from '../transport/kv-mirror.ts';
import { rendezvous } from './hash.ts';
import type { Placement, PlacementEvents, ShardStatus } from './placement.ts';
import { ShardMoveLog } from './shard-move-log.ts';
import { decodeRow, encodeRow, type Ownership, shardKey, shardOfKey } from './shard-row.ts';

interface Row extends Ownership {
  readonly revision: number;
}

export interface ShardTableOptions {
  readonly bucket: CasBucket;
  readonly membership: Membership;
  readonly shards: number;
  readonly events: PlacementEvents;
  readonly log: Logger;
  readonly metrics: RuntimeMetrics;
  /** Rows and keys that are not shard rows are dropped and reported here. */
  readonly drops: DropReporter;
  /** Rate limit for handing shards over while rebalancing (a node joined). */
  readonly rebalancePerSecond: number;
  /** Rate limit while draining (SIGTERM): faster, the node is leaving. */
  readonly drainPerSecond: number;
  readonly reconcileMs: number;
}

/**
 * Shard ownership in a JetStream KV bucket. The owner of each shard is the rendezvous choice among live active hosts;
 * ownership changes only by compare-and-set on the shard's row, so two nodes never both believe a write made them owner.
 * A dead owner's shards are claimed by their new choice; a live owner hands a shard over (rate-limited) once it
 * is no longer the choice, after storing its objects.
 */
export class ShardTable implements Placement {
  private readonly rows: (Row | undefined)[];
  private desired: (string | undefined)[] = [];
  private readonly leaving = new Set<number>();
  private readonly claiming = new Set<number>();
  private readonly mine = new Set<number>();
  private mirror: KvMirror | undefined;
  private timer: NodeJS.Timeout | undefined;
  private revalidating = false;
  private tokens = 0;
  private lastRefill = performance.now();
  private drainWaiters: (() => void)[] = [];
  private draining = false;
  private stopped = false;
  private readonly moves: ShardMoveLog;

  private constructor(private readonly opts: ShardTableOptions) {
    this.rows = new Array(opts.shards).fill(undefined);
    this.moves = new ShardMoveLog(opts.log, opts.metrics);
  }

  static async start(opts: ShardTableOptions): Promise<ShardTable> {
    const table = new ShardTable(opts);
    // Listen before the first await: a member that joins while the rows load must count, or this node would wait
    // for owners that its stale choice names until the next membership change (seen as a node never ready).
    opts.membership.onChange(() => table.membershipChanged());
    opts.membership.onLeaseLapse(() => void table.revalidate());
    table.recomputeDesired();
    table.mirror = await KvMirror.start(opts.bucket.kv, (key, entry) => table.observe(key, entry), opts.drops);
    await table.mirror.ready;
    table.timer = setInterval(() => table.reconcile(), opts.reconcileMs);
    table.reconcile();
    return table;
  }

  private membershipChanged(): void {
    this.recomputeDesired();
    if (!this.timer) return; // still loading the rows: acting on a half-loaded table would claim what others own
    this.reconcile();
    this.checkDrained();
  }

  get shards(): number {
    return this.opts.shards;
  }

  private get self() {
    return this.opts.membership.self;
  }

  route(shard: number): string | undefined {
    const row = this.rows[shard];
    if (row && this.ownerAlive(row)) return row.owner;
    return this.desired[shard];
  }

  status(shard: number): ShardStatus {
    if (this.mine.has(shard)) {
      const ready = !this.leaving.has(shard) && !this.revalidating && this.opts.membership.leaseValid();
      return ready ? 'owned' : 'hold';
    }
    const row = this.rows[shard];
    const orphaned = !row || !this.ownerAlive(row);
    return orphaned && this.desired[shard] === this.self.id ? 'hold' : 'foreign';
  }

  canCommit(shard: number): boolean {
    return this.mine.has(shard) && !this.revalidating && this.opts.membership.leaseValid();
  }

  ownedCount(): number {
    return this.mine.size;
  }

  settled(): boolean {
    return this.pending() === undefined;
  }

  pending(): string | undefined {
    let count = 0;
    let first: string | undefined;
    for (let shard = 0; shard < this.opts.shards; shard++) {
      const row = this.rows[shard];
      if (row && this.ownerAlive(row) && row.owner === this.desired[shard]) continue;
      count++;
      first ??= this.describe(shard, row);
    }
    return first && `${count} of ${this.opts.shards} shards not with their owner; first: ${first}`;
  }

  private describe(shard: number, row: Row | undefined): string {
    const held = !row
      ? 'no row'
      : `row says ${row.owner || '(bad value)'}${this.ownerAlive(row) ? '' : ' (not alive)'}`;
    const moving = this.leaving.has(shard) ? ', handing over' : this.claiming.has(shard) ? ', claiming' : '';
    return `shard ${shard}: ${held}, wanted on ${this.desired[shard] ?? 'no host'}${moving}`;
  }

  async drain(): Promise<void> {
    this.draining = true;
    this.reconcile();
    if (this.mine.size === 0 || !this.hasOtherHosts()) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.mirror?.stop();
    this.moves.flush();
  }

  private ownerAlive(row: Ownership): boolean {
    return this.opts.membership.isAlive(row.owner, row.incarnation);
  }

  private isMine(row: Ownership | undefined): boolean {
    return row?.owner === this.self.id && row.incarnation === this.self.incarnation;
  }

  private hasOtherHosts(): boolean {
    return this.activeHosts().some((id) => id !== this.self.id);
  }

  private activeHosts(): string[] {
    const hosts: string[] = [];
    for (const m of this.opts.membership.alive().values()) {
      if (isActiveHost(m)) hosts.push(m.id);
    }
    return hosts.sort();
  }

  private recomputeDesired(): void {
    const hosts = this.activeHosts();
    this.desired = Array.from({ length: this.opts.shards }, (_, s) => rendezvous(s, hosts));
  }

  private observe(key: string, entry: KvEntry | undefined): void {
    const shard = shardOfKey(key, this.opts.shards);
    if (shard === undefined) {
      this.opts.drops.drop('shard_key', 'the shards bucket', { key, problem: `not a shard of ${this.opts.shards}` });
      return;
    }
    this.setRow(shard, entry ? this.toRow(shard, entry) : undefined);
  }

  /**
   * A value that is not a row leaves the shard without a known owner: its owner stops serving it, and its rendezvous
   * choice claims it over the bad value (a compare-and-set on that value's revision), as after a death.
   */
  private toRow(shard: number, entry: KvEntry): Row {
    const decoded = decodeRow(entry.value);
    if ('row' in decoded) return { ...decoded.row, revision: entry.revision };
    this.opts.drops.drop('shard_row', 'the shards bucket', { key: entry.key, problem: decoded.problem });
    return { owner: '', incarnation: '', epoch: this.rows[shard]?.epoch ?? 0, revision: entry.revision };
  }

  private setRow(shard: number, row: Row | undefined): void {
    const known = this.rows[shard];
    if (known && row && known.revision > row.revision) return;
    this.rows[shard] = row;
    const nowMine = this.isMine(row);
    if (nowMine && !this.mine.has(shard)) {
      this.mine.add(shard);
      this.opts.events.settled(shard);
    } else if (!nowMine && this.mine.delete(shard)) {
      if (!this.leaving.has(shard)) this.lost(shard, row);
      this.opts.events.settled(shard);
      this.checkDrained();
    }
  }

  private lost(shard: number, row: Row | undefined): void {
    const reason = !row ? 'row removed' : row.owner ? `row now names ${row.owner}` : 'row is not a shard row';
    this.moves.record({ kind: 'lost', shard, from: this.self.id, to: row?.owner ?? '', reason });
    this.opts.events.lost(shard);
  }

  private reconcile(): void {
    if (this.revalidating || !this.opts.membership.leaseValid()) return;
    for (let shard = 0; shard < this.opts.shards; shard++) {
      const row = this.rows[shard];
      const want = this.desired[shard];
      if (this.isMine(row)) {
        if (want && want !== this.self.id && !this.leaving.has(shard) && this.takeToken())
          void this.handOver(shard, want);
      } else if (want === this.self.id && (!row || !this.ownerAlive(row)) && !this.claiming.has(shard)) {
        void this.claim(shard, row);
      }
    }
  }

  private takeToken(): boolean {
    const now = performance.now();
    const rate = this.draining ? this.opts.drainPerSecond : this.opts.rebalancePerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private async claim(shard: number, row: Row | undefined): Promise<void> {
    this.claiming.add(shard);
    const started = performance.now();
    const value: Ownership = { owner: this.self.id, incarnation: this.self.incarnation, epoch: (row?.epoch ?? 0) + 1 };
    try {
      const revision = await this.write(shard, value, row);
      const kind = row ? 'takeover' : 'claim';
      this.moves.record({
        kind,
        shard,
        from: row?.owner ?? '',
        to: this.self.id,
        reason: claimReason(row),
        ms: performance.now() - started,
      });
      this.setRow(shard, { ...value, revision });
    } catch {
      // someone else wrote the row first; the mirror brings their version
    } finally {
      this.claiming.delete(shard);
    }
  }

  private async handOver(shard: number, to: string): Promise<void> {
    this.leaving.add(shard);
    const started = performance.now();
    const reason = this.draining ? 'draining' : 'no longer the rendezvous choice';
    try {
      await this.opts.events.release(shard);
      const row = this.rows[shard];
      const target = this.opts.membership.alive().get(to);
      if (!row || !this.isMine(row) || !target) return;
      const value: Ownership = { owner: to, incarnation: target.incarnation, epoch: row.epoch + 1 };
      const revision = await this.write(shard, value, row);
      this.moves.record({ kind: 'handover', shard, from: this.self.id, to, reason, ms: performance.now() - started });
      this.setRow(shard, { ...value, revision });
    } catch (err) {
      this.opts.log.warn({ shard, to, reason, err: String(err) }, 'handover failed');
    } finally {
      this.leaving.delete(shard);
      this.opts.events.settled(shard);
    }
  }

  /** Compare-and-set on the shard's row; rejects when another node wrote it first. */
  private async write(shard: number, value: Ownership, row: Row | undefined): Promise<number> {
    const data = encodeRow(value);
    const key = shardKey(shard);
    const revision = row
      ? await this.opts.bucket.update(key, data, row.revision)
      : await this.opts.bucket.create(key, data);
    if (revision === undefined) throw new Error(`shard ${shard} row changed meanwhile`);
    return revision;
  }

  /** After a lease lapse (paused, cut off) re-read every row we think is ours before acting as owner again. */
  private async revalidate(): Promise<void> {
    if (this.revalidating) return;
    this.revalidating = true;
    while (!this.stopped) {
      try {
        await this.rereadMine();
        break;
      } catch (err) {
        this.opts.log.warn({ err: String(err) }, 'revalidating shard ownership failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, this.opts.reconcileMs));
      }
    }
    this.revalidating = false;
    for (let s = 0; s < this.opts.shards; s++) this.opts.events.settled(s);
  }

  private async rereadMine(): Promise<void> {
    for (const shard of [...this.mine]) {
      const entry = await this.opts.bucket.kv.get(shardKey(shard));
      const row = entry?.operation === 'PUT' ? this.toRow(shard, entry) : undefined;
      if (!this.isMine(row)) this.setRow(shard, row);
    }
  }

  /** Drained when nothing is left here, or when no active host is left to take it (they are all leaving too). */
  private checkDrained(): void {
    if (!this.draining || (this.mine.size > 0 && this.hasOtherHosts())) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}

function claimReason(row: Ownership | undefined): string {
  if (!row) return 'no row';
  return row.owner ? `owner ${row.owner} not alive` : 'row was not a shard row';
}
