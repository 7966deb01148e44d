// A player's profile: a durable object that lives on whichever node owns it, across sessions and node failures.
import { checkName, levelFor, type Profile } from '@resident/shared/game';
import { z } from 'zod';
import { hash32, type Refs, Resident } from '../../objects/index.ts';
import type { GuestClaims } from '../auth/guest-tokens.ts';

export interface PlayerState {
  name: string;
  color: number;
  xp: number;
  gamesPlayed: number;
  bestMass: number;
  totalEats: number;
}

export interface GameResult {
  mass: number;
  eats: number;
  xp: number;
}

// What a call may carry. A grant holds the XP and eats since the last one (every 2 s), or, after failed grants, all
// of a game's; an eaten blob's XP is its mass, and decay above mass 100 keeps the biggest blob near 10^5. The bounds
// are ten times that, so no real game reaches them, and a forged call cannot store an absurd number.
export const MAX_MASS = 1_000_000;
export const xpAmount = z.int().min(0).max(1_000_000);
export const eatCount = z.int().min(0).max(100_000);
export const massValue = z.number().min(0).max(MAX_MASS);
/** A game's end, as recordGame takes it. */
export const gameResult = z.object({ mass: massValue, eats: eatCount, xp: xpAmount });
/** A guest's id (base64url, as GuestTokens issues them). */
export const playerId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a player id');
/** A display name exactly as `checkName` accepts it: the token's name was checked when it was issued. */
export const playerName = z
  .string()
  .max(64)
  .refine((name) => {
    const checked = checkName(name);
    return 'name' in checked && checked.name === name;
  }, 'not a valid player name');

export class Player extends Resident<PlayerState> {
  static override idleMs = 10 * 60_000;
  static readonly expose = {
    touch: z.tuple([]),
    profile: z.tuple([]),
    enter: z.tuple([playerName]),
    grant: z.tuple([xpAmount, eatCount]),
    recordGame: z.tuple([gameResult]),
  };

  static initial(key: string): PlayerState {
    return { name: '', color: colorFor(key), xp: 0, gamesPlayed: 0, bestMass: 0, totalEats: 0 };
  }

  /** Activates the object (idle users keep it warm) and returns the profile. */
  touch(): Profile {
    return this.profile();
  }

  profile(): Profile {
    const s = this.state;
    return { id: this.key, ...s, level: levelFor(s.xp), node: this.context.nodeId };
  }

  /** A session starts: the name comes from the (verified) guest token. */
  enter(name: string): Profile {
    if (this.state.name !== name) this.state.name = name;
    return this.profile();
  }

  /** XP and eats earned during a game, granted in batches by the room. */
  grant(xp: number, eats: number): void {
    this.state.xp += xp;
    this.state.totalEats += eats;
  }

  /** The game ended for this player: remaining XP plus the game's stats. */
  recordGame(result: GameResult): Profile {
    this.grant(result.xp, result.eats);
    this.state.gamesPlayed += 1;
    this.state.bestMass = Math.max(this.state.bestMass, Math.round(result.mass));
    return this.profile();
  }
}

/** Under load a join may wait for the player's object longer than a call's default deadline; a seat holds 15 s. */
export const JOIN_CALL_MS = 12_000;

/** A session starts in a room: activate the player's object (created on first join) under the token's name. */
export function enterPlayer(objects: Refs, auth: GuestClaims): Promise<Profile> {
  return objects.get(Player, auth.sub, { timeoutMs: JOIN_CALL_MS }).enter(auth.name);
}

/** A stable, saturated colour per player id. */
export function colorFor(key: string): number {
  const hue = hash32(key) % 360;
  return hslToRgb(hue / 360, 0.7, 0.55);
}

function hslToRgb(h: number, s: number, l: number): number {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const c = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255);
  };
  return (f(0) << 16) | (f(8) << 8) | f(4);
}
