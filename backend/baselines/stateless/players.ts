// Player operations with Player's semantics, on PostgreSQL with a Redis cache in front of profile reads.
import { levelFor, type Profile } from '@resident/shared/game';
import { colorFor, type GameResult } from '../../src/game/objects/player.ts';
import type { ProfileCache } from './cache.ts';
import type { PlayerRow, PlayerStore } from './store.ts';

/** The player has never entered: there is no row. */
export class UnknownPlayerError extends Error {
  override name = 'UnknownPlayerError';
  constructor(readonly playerId: string) {
    super(`no player ${playerId}: enter first`);
  }
}

export class StatelessPlayers {
  constructor(
    private readonly store: PlayerStore,
    private readonly cache: ProfileCache,
    /** Shown as the profile's `node`: the instance that answered. */
    private readonly instanceId: string,
  ) {}

  /** Creates the player on its first enter (with Player's colour), renames it on a later one. */
  async enter(id: string, name: string): Promise<Profile> {
    const { row, changed } = await this.store.enter(id, name, colorFor(id));
    if (changed) await this.cache.invalidate(id);
    return this.profileOf(row);
  }

  async profile(id: string): Promise<Profile> {
    const cached = await this.cache.get(id);
    if (cached) return this.profileOf(cached);
    const row = await this.store.find(id);
    if (!row) throw new UnknownPlayerError(id);
    await this.cache.set(row);
    return this.profileOf(row);
  }

  async grant(id: string, xp: number, eats: number): Promise<void> {
    if (!(await this.store.grant(id, xp, eats))) throw new UnknownPlayerError(id);
    await this.cache.invalidate(id);
  }

  async recordGame(id: string, result: GameResult): Promise<Profile> {
    const row = await this.store.recordGame(id, result);
    if (!row) throw new UnknownPlayerError(id);
    await this.cache.invalidate(id);
    return this.profileOf(row);
  }

  private profileOf(row: PlayerRow): Profile {
    return { ...row, level: levelFor(row.xp), node: this.instanceId };
  }
}
