import type { Catalog } from '../catalog/catalog.ts';
import type { ObjectTurn } from '../catalog/turn.ts';
import { ErrorCode, ResidentError } from '../errors.ts';
import type { RuntimeMetrics } from '../metrics.ts';
import { shardOf } from '../placement/hash.ts';
import type { Placement } from '../placement/placement.ts';
import { type ClassEntry, objectId } from '../registry.ts';

interface Held {
  readonly entry: ClassEntry;
  readonly key: string;
  readonly turn: ObjectTurn;
}

/**
 * Runs, holds or bounces a turn, depending on whether this node owns the object's shard right now. Turns for a
 * shard on its way to this node wait here (bounded) until the shard settles, rather than bouncing back and forth.
 */
export class Dispatcher {
  private readonly held = new Map<number, Held[]>();
  private heldCount = 0;

  constructor(
    private readonly placement: Placement,
    private readonly catalog: Catalog,
    private readonly opts: { readonly nodeId: string; readonly shards: number; readonly holdBound: number },
    private readonly metrics: RuntimeMetrics,
  ) {}

  dispatch(
    entry: ClassEntry,
    key: string,
    turn: ObjectTurn,
    id = objectId(entry, key),
    shard = shardOf(id, this.opts.shards),
  ): void {
    switch (this.placement.status(shard)) {
      case 'owned':
        return this.catalog.deliver(entry, key, id, shard, turn);
      case 'hold':
        return this.hold(shard, { entry, key, turn });
      case 'foreign':
        this.metrics.callBounced();
        return turn.settle(new ResidentError(ErrorCode.NotOwner, `${id} is not owned by ${this.opts.nodeId}`));
    }
  }

  /** The shard settled (here or elsewhere): what waited for it goes on. */
  releaseHeld(shard: number): void {
    const list = this.held.get(shard);
    if (!list || this.placement.status(shard) === 'hold') return;
    this.held.delete(shard);
    this.heldCount -= list.length;
    for (const h of list) this.dispatch(h.entry, h.key, h.turn);
  }

  /**
   * Held calls are also released by looking, not only by events: a shard held while this node's lease had lapsed (a
   * heartbeat write that was slow to be acknowledged) is ours again once the lease is back, with no event to say so.
   * Calls whose deadline passed while held are answered with a timeout here rather than kept.
   */
  recheckHeld(now: number): void {
    for (const [shard, list] of this.held) {
      if (this.placement.status(shard) !== 'hold') {
        this.releaseHeld(shard);
        continue;
      }
      const waiting = this.answerExpired(shard, list, now);
      if (waiting.length === list.length) continue;
      this.heldCount -= list.length - waiting.length;
      if (waiting.length) this.held.set(shard, waiting);
      else this.held.delete(shard);
    }
  }

  /** Answers the held calls whose deadline passed with a timeout; returns the ones still waiting. */
  private answerExpired(shard: number, list: readonly Held[], now: number): Held[] {
    const waiting: Held[] = [];
    for (const h of list) {
      if (h.turn.deadline === 0 || now <= h.turn.deadline) {
        waiting.push(h);
        continue;
      }
      this.metrics.callDropped('hold_expired');
      h.turn.settle(this.expired(shard, h));
    }
    return waiting;
  }

  private expired(shard: number, h: Held): ResidentError {
    const id = objectId(h.entry, h.key);
    return new ResidentError(
      ErrorCode.Timeout,
      `${id}: call expired waiting for shard ${shard} to settle here`,
      h.turn.chain,
    );
  }

  private hold(shard: number, held: Held): void {
    if (this.heldCount >= this.opts.holdBound) {
      this.metrics.callDropped('hold_full');
      return held.turn.settle(
        new ResidentError(ErrorCode.Overloaded, `node ${this.opts.nodeId}: too many calls waiting for shard ownership`),
      );
    }
    let list = this.held.get(shard);
    if (!list) {
      list = [];
      this.held.set(shard, list);
    }
    list.push(held);
    this.heldCount++;
    this.metrics.callHeld();
  }
}
