// The global leaderboard in a Redis sorted set, with the names in a hash beside it. Every player's best is kept
// (not only the top 100), as a real service keeps them for ranks.
import type { LeaderboardEntry } from '@resident/shared/game';
import { freshFor, mergeTop, TOP_CACHE_MS, TOP_N } from '../../src/game/objects/leaderboard.ts';
import type { Redis } from './redis.ts';

// One hash tag: both keys land in one slot, so the scripts also run on a Redis Cluster.
const KEYS = ['{leaderboard}:best', '{leaderboard}:names'] as const;

export class RedisLeaderboard {
  /** The top as the route serves it: read at most once per `topCacheMs` per instance, as a Resident node does. */
  readonly cachedTop: () => Promise<LeaderboardEntry[]>;

  constructor(
    private readonly redis: Redis,
    topCacheMs = TOP_CACHE_MS,
  ) {
    this.cachedTop = freshFor(topCacheMs, () => this.top());
  }

  /**
   * Records a player's best; a score not above the one on the board changes nothing (its name neither). True when
   * it raised the player's best (a player new to the board counts).
   */
  submit(entry: LeaderboardEntry): Promise<boolean> {
    // Negated: a sorted set's own order (score up, then member up) is then best down, then id up.
    return this.redis.submitBest(KEYS, entry.id, entry.name, -entry.bestMass);
  }

  /**
   * The top TOP_N, best first, ties by id. The page is sorted with Resident's own comparator, so equal bests come
   * in the same order; which of the players tied at the 100th place make the page is Redis's (the lowest ids).
   */
  async top(): Promise<LeaderboardEntry[]> {
    const flat = await this.redis.readTop(KEYS, TOP_N);
    const entries: LeaderboardEntry[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      entries.push({ id: flat[i]!, name: flat[i + 2]!, bestMass: -Number(flat[i + 1]) });
    }
    return mergeTop([entries]);
  }
}
