// A player's profile: a durable object that lives on whichever node owns it, across sessions and node failures.
import { levelFor, type Profile } from '@resident/shared/game';
import { hash32, Resident } from '../../objects/index.ts';
import type { GuestClaims } from '../auth/guest-tokens.ts';
import { game, hostNodeId } from '../context.ts';

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

export class Player extends Resident<PlayerState> {
  static override idleMs = 10 * 60_000;

  static initial(key: string): PlayerState {
    return { name: '', color: colorFor(key), xp: 0, gamesPlayed: 0, bestMass: 0, totalEats: 0 };
  }

  /** Activates the object (idle users keep it warm) and returns the profile. */
  touch(): Profile {
    return this.profile();
  }

  profile(): Profile {
    const s = this.state;
    return { id: this.key, ...s, level: levelFor(s.xp), node: hostNodeId() };
  }

  /** A session starts: the name comes from the (verified) guest token. */
  enter(name: string): Profile {
    if (this.state.name !== name) this.state.name = name;
    return this.profile();
  }

  /** XP and eats earned during a game, granted in batches by the room. */
  grant(xp: number, eats: number): void {
    this.state.xp += nonNegative(xp);
    this.state.totalEats += nonNegative(eats);
  }

  /** The game ended for this player: remaining XP plus the game's stats. */
  recordGame(result: GameResult): Profile {
    this.grant(result.xp, result.eats);
    this.state.gamesPlayed += 1;
    this.state.bestMass = Math.max(this.state.bestMass, Math.round(nonNegative(result.mass)));
    return this.profile();
  }
}

/** Under load a join may wait for the player's object longer than a call's default deadline; a seat holds 15 s. */
const JOIN_CALL_MS = 12_000;

/** A session starts in a room: activate the player's object (created on first join) under the token's name. */
export function enterPlayer(auth: GuestClaims): Promise<Profile> {
  return game().objects.get(Player, auth.sub, { timeoutMs: JOIN_CALL_MS }).enter(auth.name);
}

function nonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
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
