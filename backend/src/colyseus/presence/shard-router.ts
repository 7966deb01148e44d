import { hash32, type ObjectRuntime, type Ref } from '../../objects/index.ts';
import { internals } from '../../objects/internal.ts';
import { PRESENCE_CLASSES, PresenceShard, VolatilePresenceShard } from './presence-shard.ts';

/** Default shard count. Every node of a cluster must use the same, or they would look for a key in different shards. */
export const DEFAULT_PRESENCE_SHARDS = 64;

/**
 * Keys kept in memory only, by default Colyseus's create locks (`ch:<room name>`, a counter that expires in seconds and
 * only makes concurrent joinOrCreate calls wait for one room instead of creating several). Every node of a cluster
 * must use the same rule.
 */
export const COLYSEUS_LOCK_KEYS = (key: string): boolean => key.startsWith('ch:');

/** Presence key → the shard object that owns it: `p<n>` (PresenceShard) or, for volatile keys, `v<n>`, by hash. */
export class ShardRouter {
  constructor(
    private readonly runtime: ObjectRuntime,
    private readonly shards: number,
    private readonly volatile: (key: string) => boolean = COLYSEUS_LOCK_KEYS,
  ) {
    if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`presence shards must be ≥ 1, got ${shards}`);
    assertRegistered(runtime);
  }

  shardKey(key: string): string {
    return `${this.volatile(key) ? 'v' : 'p'}${hash32(key) % this.shards}`;
  }

  of(key: string): Ref<typeof PresenceShard> {
    const cls = this.volatile(key) ? VolatilePresenceShard : PresenceShard;
    return this.runtime.get(cls, this.shardKey(key));
  }
}

function assertRegistered(runtime: ObjectRuntime): void {
  const registry = internals(runtime).registry;
  for (const cls of PRESENCE_CLASSES) {
    try {
      registry.ofClass(cls);
    } catch {
      throw new Error(
        `NatsPresence needs the ${cls.typeName} class on its ObjectRuntime: ObjectRuntime.start({ classes: [..., ...PRESENCE_CLASSES] }) on every host node`,
      );
    }
  }
}
