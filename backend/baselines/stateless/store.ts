// The players table in PostgreSQL (postgres.js: pooled, every query a prepared statement). Each write is one
// statement, atomic on its own and committed before it returns; nothing here reads a row to write it back.

import postgres from 'postgres';
import type { PlayerState } from '../../src/game/objects/player.ts';

export interface PlayerRow extends PlayerState {
  id: string;
}

/** int8 columns as numbers: counters stay far below 2^53 (a grant adds at most 10^6). */
const TYPES = {
  int8: { to: 20, from: [20], serialize: (n: number) => String(n), parse: (s: string) => Number(s) },
};
export type Db = postgres.Sql<{ int8: number }>;

export interface DbOptions {
  url: string;
  /** Connections in the pool. */
  max: number;
}

export function connectDb(opts: DbOptions): Db {
  return postgres(opts.url, {
    max: opts.max,
    types: TYPES,
    connection: { application_name: 'resident-stateless' }, // names the twin in pg_stat_activity
    onnotice: () => {}, // CREATE TABLE IF NOT EXISTS notices at every start: not news
  });
}

export class PlayerStore {
  /** A fragment: it becomes part of each query's text, so each query is still prepared once. */
  private readonly columns: postgres.Fragment;

  constructor(private readonly sql: Db) {
    this.columns = sql`
      id, name, color, xp, games_played AS "gamesPlayed", best_mass AS "bestMass", total_eats AS "totalEats"`;
  }

  /**
   * Creates the player, or renames it; a player whose name is unchanged is not written. `changed` says whether a
   * row was written (and so whether a cached copy is stale).
   */
  async enter(id: string, name: string, color: number): Promise<{ row: PlayerRow; changed: boolean }> {
    const [found] = await this.sql<(PlayerRow & { changed: boolean })[]>`
      WITH written AS (
        INSERT INTO players (id, name, color) VALUES (${id}, ${name}, ${color})
        ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name WHERE players.name <> EXCLUDED.name
        RETURNING ${this.columns}
      )
      SELECT *, true AS changed FROM written
      UNION ALL
      SELECT ${this.columns}, false AS changed FROM players WHERE id = ${id} AND NOT EXISTS (SELECT 1 FROM written)`;
    if (found) {
      const { changed, ...row } = found;
      return { row, changed };
    }
    // The row was inserted by a concurrent enter after this statement's snapshot: it is there now.
    const row = await this.find(id);
    if (!row) throw new Error(`player ${id} vanished during enter`);
    return { row, changed: false };
  }

  async find(id: string): Promise<PlayerRow | undefined> {
    const [row] = await this.sql<PlayerRow[]>`SELECT ${this.columns} FROM players WHERE id = ${id}`;
    return row;
  }

  /** False when there is no such player. */
  async grant(id: string, xp: number, eats: number): Promise<boolean> {
    const result = await this
      .sql`UPDATE players SET xp = xp + ${xp}, total_eats = total_eats + ${eats} WHERE id = ${id}`;
    return result.count === 1;
  }

  /** Undefined when there is no such player. The mass is rounded as Player.recordGame rounds it. */
  async recordGame(id: string, result: { mass: number; eats: number; xp: number }): Promise<PlayerRow | undefined> {
    const [row] = await this.sql<PlayerRow[]>`
      UPDATE players
      SET xp = xp + ${result.xp}, total_eats = total_eats + ${result.eats}, games_played = games_played + 1,
          best_mass = GREATEST(best_mass, ${Math.round(result.mass)})
      WHERE id = ${id}
      RETURNING ${this.columns}`;
    return row;
  }
}
