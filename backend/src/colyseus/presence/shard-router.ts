import { hash32, type ObjectRuntime, type Ref } from '../../objects/index.ts';
import { internals } from '../../objects/internal.ts';
import { PresenceShard } from './presence-shard.ts';

/** Default shard count. Every node of a cluster must use the same, or they would look for a key in different shards. */
export const DEFAULT_PRESENCE_SHARDS = 64;

/** Presence key → the PresenceShard object that owns it (`p<n>`, by hash). */
export class ShardRouter {
  constructor(
    private readonly runtime: ObjectRuntime,
    private readonly shards: number,
  ) {
    if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`presence shards must be ≥ 1, got ${shards}`);
    assertRegistered(runtime);
  }

  shardKey(key: string): string {
    return `p${hash32(key) % this.shards}`;
  }

  of(key: string): Ref<typeof PresenceShard> {
    return this.runtime.get(PresenceShard, this.shardKey(key));
  }
}

function assertRegistered(runtime: ObjectRuntime): void {
  try {
    internals(runtime).registry.ofClass(PresenceShard);
  } catch {
    throw new Error(
      'NatsPresence needs the PresenceShard class on its ObjectRuntime: ObjectRuntime.start({ classes: [..., PresenceShard] }) on every host node',
    );
  }
}
