// The profile cache in Redis: a copy of a player's row, for a while. Cache-aside: readers fill it, writers delete
// it after their commit. Redis failing here costs speed, not answers: a failed read is a miss.
import type { Redis } from './redis.ts';
import type { PlayerRow } from './store.ts';

export class ProfileCache {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly onError: (err: Error) => void,
  ) {}

  async get(id: string): Promise<PlayerRow | undefined> {
    try {
      const json = await this.redis.get(key(id));
      return json === null ? undefined : (JSON.parse(json) as PlayerRow);
    } catch (err) {
      this.onError(err as Error);
      return undefined;
    }
  }

  async set(row: PlayerRow): Promise<void> {
    try {
      await this.redis.set(key(row.id), JSON.stringify(row), { expiration: { type: 'EX', value: this.ttlSeconds } });
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** A failed delete leaves the old copy until its TTL: the write itself is committed and stands. */
  async invalidate(id: string): Promise<void> {
    try {
      await this.redis.del(key(id));
    } catch (err) {
      this.onError(err as Error);
    }
  }
}

function key(id: string): string {
  return `profile:${id}`;
}
