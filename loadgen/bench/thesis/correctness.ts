// Correctness under concurrency, counted the same way on both stacks. Lost or doubled XP: many concurrent grants of
// 1 XP through every client, then the XP must have grown by exactly the grants acknowledged. Stale reads: a writer
// grants through one client while readers read the same players through the others; a read that starts after a
// grant was acknowledged must see it (in a cache-aside stack, a reader that missed the cache and read the database
// just before a write can put the old profile back into the cache after the write removed it).
import type { StackClient } from './stacks/stack.ts';

/** Players the checks use: past the workload's population, so the load does not touch them. */
const FIRST_PLAYER = 10_000_000;

export interface Correctness {
  grants: number;
  lost: number;
  doubled: number;
  failedGrants: number;
  reads: number;
  staleReads: number;
}

const grant = (c: StackClient, player: number) => c.call({ kind: 'grant', player, xp: 1, eats: 0 });

async function enterAll(client: StackClient, players: number[]): Promise<number[]> {
  await Promise.all(players.map((player) => client.call({ kind: 'enter', player })));
  return Promise.all(players.map((p) => client.xp(p)));
}

/** `perPlayer` concurrent 1-XP grants on each of `players` players, spread over the clients. */
export async function countLostUpdates(clients: readonly StackClient[], players: number, perPlayer: number) {
  const ids = Array.from({ length: players }, (_, i) => FIRST_PLAYER + i);
  const before = await enterAll(clients[0]!, ids);
  const acked = new Array<number>(players).fill(0);
  let failed = 0;
  await Promise.all(
    ids.flatMap((player, i) =>
      Array.from({ length: perPlayer }, (_, k) =>
        grant(clients[k % clients.length]!, player).then(
          () => (acked[i]! += 1),
          () => (failed += 1),
        ),
      ),
    ),
  );
  const after = await Promise.all(ids.map((p) => clients[0]!.xp(p)));
  let lost = 0;
  let doubled = 0;
  ids.forEach((_, i) => {
    const grew = after[i]! - before[i]!;
    if (grew < acked[i]!) lost += acked[i]! - grew;
    if (grew > acked[i]!) doubled += grew - acked[i]!;
  });
  return { grants: players * perPlayer, lost, doubled, failedGrants: failed };
}

/** For `seconds`: one writer per player through the first client, `readers` readers each through the others. */
export async function countStaleReads(
  clients: readonly StackClient[],
  players: number,
  readers: number,
  seconds: number,
) {
  const ids = Array.from({ length: players }, (_, i) => FIRST_PLAYER + 1000 + i);
  const base = await enterAll(clients[0]!, ids);
  const acked = new Array<number>(players).fill(0);
  const end = performance.now() + seconds * 1000;
  let reads = 0;
  let stale = 0;
  const writer = async (i: number) => {
    while (performance.now() < end) {
      await grant(clients[0]!, ids[i]!);
      acked[i]! += 1;
    }
  };
  const reader = async (i: number, r: number) => {
    const client = clients.length > 1 ? clients[1 + (r % (clients.length - 1))]! : clients[0]!;
    while (performance.now() < end) {
      const seen = acked[i]!; // grants acknowledged before this read started
      const xp = await client.xp(ids[i]!);
      reads += 1;
      if (xp < base[i]! + seen) stale += 1;
    }
  };
  await Promise.all(ids.flatMap((_, i) => [writer(i), ...Array.from({ length: readers }, (_, r) => reader(i, r))]));
  return { reads, staleReads: stale };
}
