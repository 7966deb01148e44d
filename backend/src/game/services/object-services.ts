// The game's services as Resident provides them: each player's Player object, and the leaderboard's shards, live
// in memory on whichever node owns them; every call goes to that node, and a write is answered once it is stored.
import type { Refs } from '../../objects/index.ts';
import { cachedTop, submitScore } from '../objects/leaderboard.ts';
import { enterPlayer, Player } from '../objects/player.ts';
import type { GameServices } from './game-services.ts';

export function objectServices(objects: Refs): GameServices {
  const player = (sub: string) => objects.get(Player, sub);
  return {
    kind: 'objects',
    enter: (claims) => enterPlayer(objects, claims),
    profile: (claims) => player(claims.sub).profile(),
    keepAlive: async (claims) => {
      await player(claims.sub).touch();
    },
    grant: (claims, xp, eats) => player(claims.sub).grant(xp, eats),
    recordGame: (claims, result) => player(claims.sub).recordGame(result),
    submitScore: (claims, bestMass) => submitScore(objects, { id: claims.sub, name: claims.name, bestMass }),
    top: () => cachedTop(objects),
  };
}
