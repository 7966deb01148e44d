// The game's operation mix over a population of players with Zipf-distributed popularity: what both stacks serve.
// One play session of a player is: enter (join), two lobby profile reads, a leaderboard read, a 60 s game with an
// XP grant every 2 s (30), then the game's result and a leaderboard submit on leave.

export type Op =
  | { kind: 'enter'; player: number }
  | { kind: 'profile'; player: number }
  | { kind: 'grant'; player: number; xp: number; eats: number }
  | { kind: 'recordGame'; player: number; mass: number; eats: number; xp: number }
  | { kind: 'submit'; player: number; bestMass: number }
  | { kind: 'top' };

export type OpKind = Op['kind'];

/** Operations of each kind in one play session. */
export const SESSION_MIX: Readonly<Record<OpKind, number>> = {
  enter: 1,
  profile: 2,
  top: 1,
  grant: 30,
  recordGame: 1,
  submit: 1,
};

/** The mix as a sentence for the output: each kind's share of all operations. */
export function describeMix(): string {
  const total = Object.values(SESSION_MIX).reduce((a, b) => a + b, 0);
  const parts = Object.entries(SESSION_MIX).map(([k, n]) => `${k} ${((100 * n) / total).toFixed(1)} %`);
  return `per play session ${total} operations: ${parts.join(', ')}`;
}

/** Mulberry32: the same seed gives both stacks the same stream of operations, and a rerun the same again. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A player's id and name as both stacks store them (valid guest ids and names). */
export const playerId = (i: number): string => `bench-${i}`;
export const playerName = (i: number): string => `Bench ${i}`;

/** Draws player indexes 0..n-1, index k with weight 1/(k+1)^s: a few players are much busier than most. */
export class Zipf {
  readonly #cdf: Float64Array;

  constructor(
    readonly n: number,
    s = 1,
    private readonly random: () => number = Math.random,
  ) {
    this.#cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) this.#cdf[k] = sum += 1 / (k + 1) ** s;
    for (let k = 0; k < n; k++) this.#cdf[k]! /= sum;
  }

  next(): number {
    const u = this.random();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** An endless stream of operations in the session mix, each on a Zipf-drawn player. */
export class Workload {
  readonly #kinds: OpKind[];
  readonly #zipf: Zipf;

  constructor(
    players: number,
    private readonly random: () => number = Math.random,
  ) {
    this.#zipf = new Zipf(players, 1, random);
    this.#kinds = Object.entries(SESSION_MIX).flatMap(([k, n]) => Array<OpKind>(n).fill(k as OpKind));
  }

  next(): Op {
    const kind = this.#kinds[Math.floor(this.random() * this.#kinds.length)]!;
    if (kind === 'top') return { kind };
    const player = this.#zipf.next();
    const int = (max: number) => Math.floor(this.random() * max);
    switch (kind) {
      case 'grant':
        return { kind, player, xp: int(200), eats: int(5) };
      case 'recordGame':
        return { kind, player, mass: 10 + int(5000), eats: int(50), xp: int(500) };
      case 'submit':
        return { kind, player, bestMass: 10 + int(100_000) };
      default:
        return { kind, player };
    }
  }
}
