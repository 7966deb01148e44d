// What the game's rooms and HTTP API need from the services around them: the player's profile, its XP and games,
// and the global leaderboard. Resident provides them with objects in memory (object-services.ts); a node run in
// stateless mode calls the stateless twin's REST API instead (stateless-services.ts), for comparisons. The rooms
// stay Colyseus either way: what differs is everything around them.
import type { LeaderboardEntry, Profile } from '@resident/shared/game';
import type { GuestClaims } from '../auth/guest-tokens.ts';
import type { GameResult } from '../objects/player.ts';

export interface GameServices {
  /** Which implementation serves the game, for logs and the node's info. */
  readonly kind: 'objects' | 'stateless';
  /** A session starts, or a returning guest renamed itself: the profile under the claims' name. */
  enter(player: GuestClaims): Promise<Profile>;
  profile(player: GuestClaims): Promise<Profile>;
  /** The player is still online: Resident keeps its object active; a stateless service keeps nothing. */
  keepAlive(player: GuestClaims): Promise<void>;
  /** XP and eats earned in play since the last grant. */
  grant(player: GuestClaims, xp: number, eats: number): Promise<void>;
  /** The game ended: its remaining XP and its stats. */
  recordGame(player: GuestClaims, result: GameResult): Promise<Profile>;
  /** The player's best mass of a game, for the global leaderboard; true if it improved the player's entry. */
  submitScore(player: GuestClaims, bestMass: number): Promise<boolean>;
  /** The global top 100, at most about a second old. */
  top(): Promise<LeaderboardEntry[]>;
}
