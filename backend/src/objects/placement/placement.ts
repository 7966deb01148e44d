/**
 * Where an object lives: object id → shard (a hash) → owner node. Callers use `route`; the node that receives a call
 * asks `status` whether to run it, hold it (ownership is on its way here) or send it back (not ours).
 */
export type ShardStatus = 'owned' | 'hold' | 'foreign';

export interface PlacementEvents {
  /** Ownership arrived or left: held calls for the shard should be dispatched again. */
  settled(shard: number): void;
  /** Someone else took the shard while we thought we owned it: drop its activations without storing. */
  lost(shard: number): void;
  /** We are handing the shard over: finish and store its activations first. */
  release(shard: number): Promise<void>;
}

export interface Placement {
  readonly shards: number;
  route(shard: number): string | undefined;
  status(shard: number): ShardStatus;
  canCommit(shard: number): boolean;
  ownedCount(): number;
  /** Every shard is owned by a live node that is its rendezvous choice: no move is pending or under way. */
  settled(): boolean;
  /** Why placement is not settled (how many shards, the first one and where it is), or undefined once it is. */
  pending(): string | undefined;
  /** Hands every owned shard to the other hosts and resolves when none is left here. */
  drain(): Promise<void>;
  stop(): void;
}

/** Embedded single node: it owns everything. */
export class SoloPlacement implements Placement {
  constructor(
    readonly shards: number,
    private readonly self: string,
  ) {}

  route(): string {
    return this.self;
  }

  status(): ShardStatus {
    return 'owned';
  }

  canCommit(): boolean {
    return true;
  }

  ownedCount(): number {
    return this.shards;
  }

  settled(): boolean {
    return true;
  }

  pending(): undefined {
    return undefined;
  }

  async drain(): Promise<void> {}

  stop(): void {}
}
