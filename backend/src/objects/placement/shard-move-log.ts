import type { Logger } from 'pino';
import type { RuntimeMetrics } from '../metrics.ts';

export type MoveKind = 'claim' | 'takeover' | 'handover' | 'lost';

export interface ShardMove {
  readonly kind: MoveKind;
  readonly shard: number;
  /** The owner before ('' for no row or a row that was not one). */
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  /** How long the move took on this node (the compare-and-set, or for a handover also storing its objects). */
  readonly ms?: number;
}

/** One summary line covers at most this long: a join moves ~2/3 of 256 shards, a death ~1/n of them. */
const SUMMARY_MS = 1000;
/** Shard numbers listed per summary group; the rest are counted. */
const LISTED_SHARDS = 16;

interface Group {
  readonly kind: MoveKind;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  count: number;
  maxMs: number;
  readonly shards: number[];
}

/**
 * Logs shard moves: each at debug level, with its shard, from, to, reason and duration, and once a second an info
 * summary grouped by kind, reason, from and to (count, slowest, the first shards). A join or a death moves a
 * hundred shards or more at once; a line each at info would bury the membership change that caused them.
 */
export class ShardMoveLog {
  private groups = new Map<string, Group>();
  private timer: NodeJS.Timeout | undefined;
  private windowStart = 0;

  constructor(
    private readonly log: Logger,
    private readonly metrics: RuntimeMetrics,
  ) {}

  record(move: ShardMove): void {
    this.metrics.moved(move.kind);
    const ms = Math.round(move.ms ?? 0);
    this.log.debug({ shardMove: move.kind, ...move, ms }, `shard ${move.shard} ${move.kind}`);
    const key = `${move.kind}|${move.reason}|${move.from}|${move.to}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { kind: move.kind, from: move.from, to: move.to, reason: move.reason, count: 0, maxMs: 0, shards: [] };
      this.groups.set(key, group);
    }
    group.count++;
    group.maxMs = Math.max(group.maxMs, ms);
    if (group.shards.length < LISTED_SHARDS) group.shards.push(move.shard);
    if (!this.timer) {
      this.windowStart = performance.now();
      this.timer = setTimeout(() => this.flush(), SUMMARY_MS);
      this.timer.unref();
    }
  }

  /** Writes the pending summary now (also on stop, so the last moves are not lost from the log). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.groups.size === 0) return;
    const windowMs = Math.round(performance.now() - this.windowStart);
    for (const g of this.groups.values())
      this.log.info(
        {
          shardMoves: g.kind,
          reason: g.reason,
          from: g.from,
          to: g.to,
          count: g.count,
          maxMs: g.maxMs,
          shards: g.shards,
          windowMs,
        },
        `${g.count} shard ${g.kind}${g.count === 1 ? '' : 's'} ${g.from || '(none)'} → ${g.to || '(none)'}: ${g.reason}`,
      );
    this.groups = new Map();
  }
}
