// The global top 100 by best mass. Writes go to one of SHARDS objects (by player id), so a busy leaderboard is not
// one object's queue; reads merge the shards' tops.
import type { LeaderboardEntry } from '@resident/shared/game';
import { z } from 'zod';
import { badArguments, hash32, type Refs, Resident } from '../../objects/index.ts';
import { MAX_MASS, playerId, playerName } from './player.ts';

export const TOP_N = 100;
export const SHARDS = 8;

interface ShardState {
  entries: LeaderboardEntry[];
}

export const entrySchema = z.object({ id: playerId, name: playerName, bestMass: z.int().min(0).max(MAX_MASS) });

export class LeaderboardShard extends Resident<ShardState> {
  static readonly expose = { submit: z.tuple([entrySchema]), top: z.tuple([]) };

  static initial(): ShardState {
    return { entries: [] };
  }

  /** Records a player's best; a lower score than the one on the board changes nothing. */
  submit(entry: LeaderboardEntry): boolean {
    if (shardFor(entry.id) !== this.key) {
      throw badArguments('LeaderboardShard.submit', `args[0].id: belongs to shard ${shardFor(entry.id)}`);
    }
    const entries = this.state.entries;
    const mine = entries.find((e) => e.id === entry.id);
    if (mine && mine.bestMass >= entry.bestMass) return false;
    const last = entries[TOP_N - 1];
    if (!mine && last && last.bestMass >= entry.bestMass) return false;
    this.state.entries = mergeTop([entries.filter((e) => e.id !== entry.id), [entry]]);
    return true;
  }

  top(): LeaderboardEntry[] {
    return this.state.entries;
  }
}

export function shardFor(playerId: string): string {
  return String(hash32(playerId) % SHARDS);
}

export function submitScore(objects: Refs, entry: LeaderboardEntry): Promise<boolean> {
  return objects.get(LeaderboardShard, shardFor(entry.id)).submit(entry);
}

/** Reads every shard and merges; one slow shard delays the read, it does not lose entries. */
export async function readTop(objects: Refs): Promise<LeaderboardEntry[]> {
  const shards = Array.from({ length: SHARDS }, (_, i) => objects.get(LeaderboardShard, String(i)).top());
  return mergeTop(await Promise.all(shards));
}

export const TOP_CACHE_MS = 1000;
const cache = new WeakMap<Refs, () => Promise<LeaderboardEntry[]>>();

/** The merged top, read at most once a second per node: HTTP and rooms share it. */
export function cachedTop(objects: Refs): Promise<LeaderboardEntry[]> {
  let read = cache.get(objects);
  if (!read) {
    read = freshFor(TOP_CACHE_MS, () => readTop(objects));
    cache.set(objects, read);
  }
  return read();
}

/** `read`, called at most once per `ms`: callers in between share its answer; a failed read is not kept. */
export function freshFor<T>(ms: number, read: () => Promise<T>): () => Promise<T> {
  let hit: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (hit && Date.now() - hit.at < ms) return hit.value;
    const value = read();
    const mine = { at: Date.now(), value };
    hit = mine;
    value.catch(() => {
      if (hit === mine) hit = undefined;
    });
    return value;
  };
}

export function mergeTop(lists: readonly LeaderboardEntry[][]): LeaderboardEntry[] {
  return lists
    .flat()
    .sort((a, b) => b.bestMass - a.bestMass || a.id.localeCompare(b.id))
    .slice(0, TOP_N);
}
