// The arena's rules, shared by the server's simulation and the client's prediction: same inputs, same movement.

export const WORLD_SIZE = 3000;
export const TICK_HZ = 20;
export const START_MASS = 10;
export const PELLET_MASS = 1;
/** A blob eats another only when it is this many times heavier. */
export const EAT_RATIO = 1.25;
export const RESPAWN_MS = 2000;

export interface Point {
  x: number;
  y: number;
}

export interface Body extends Point {
  mass: number;
}

export interface Steer {
  dx: number;
  dy: number;
}

export function radius(mass: number): number {
  return 4 + Math.sqrt(mass) * 6;
}

/** World units per second: heavier blobs are slower. */
export function speed(mass: number): number {
  return 320 * mass ** -0.2;
}

/** Half the side of the square a blob sees (its area of interest); grows with size, like the camera's zoom. */
export function viewHalfSize(mass: number): number {
  return 700 + radius(mass) * 3;
}

/** Moves a body one step toward `steer` (clamped to length 1), staying inside the world. */
export function move(body: Body, steer: Steer, dtSeconds: number): Point {
  const len = Math.hypot(steer.dx, steer.dy);
  const scale = len > 1 ? 1 / len : 1;
  const step = speed(body.mass) * dtSeconds * scale;
  const r = radius(body.mass);
  return {
    x: clamp(body.x + steer.dx * step, r, WORLD_SIZE - r),
    y: clamp(body.y + steer.dy * step, r, WORLD_SIZE - r),
  };
}

/** True when `eater` swallows `prey`: noticeably heavier, and prey's centre is well inside it. */
export function canEat(eater: Body, prey: Body): boolean {
  if (eater.mass < prey.mass * EAT_RATIO) return false;
  return distance(eater, prey) < radius(eater.mass) - radius(prey.mass) * 0.4;
}

export function touchesPellet(blob: Body, pellet: Point): boolean {
  return distance(blob, pellet) < radius(blob.mass);
}

/** Mass after eating `gained`; big blobs also lose a little each tick so the arena does not freeze. */
export function massAfter(mass: number, gained: number, dtSeconds: number): number {
  const decay = mass > 100 ? mass * 0.002 * dtSeconds : 0;
  return Math.max(START_MASS, mass + gained - decay);
}

/** XP a player earns for an eat: one per pellet, the prey's mass for a blob. */
export function xpForEat(preyMass: number): number {
  return Math.max(1, Math.round(preyMass));
}

/**
 * XP at which `level` starts. Level L needs 100 + 50 (L − 1) XP, so reaching level 1 + n takes 25 n² + 75 n in
 * total. Closed form, so it costs the same for any level (the number comes from the network).
 */
export function xpForLevel(level: number): number {
  const n = Math.floor(level) - 1;
  return n > 0 ? 25 * n * n + 75 * n : 0;
}

/**
 * Level from total XP: each level needs 50 more XP than the one before. Constant time for any input, stored or
 * received: NaN, negative or no XP is level 1, and a huge XP a huge (finite) level.
 */
export function levelFor(xp: number): number {
  if (!(xp > 0)) return 1;
  const total = Math.min(xp, Number.MAX_VALUE);
  // Solve 25 n² + 75 n ≤ total for the largest whole n, then correct the float rounding by at most one step.
  let n = Math.floor((Math.sqrt(5625 + 100 * total) - 75) / 50);
  if (!Number.isFinite(n)) n = Math.floor(Math.sqrt(total / 25));
  if (xpForLevel(n + 2) <= total) n += 1;
  else if (n > 0 && xpForLevel(n + 1) > total) n -= 1;
  return n + 1;
}

export function isFiniteSteer(steer: Steer): boolean {
  return Number.isFinite(steer.dx) && Number.isFinite(steer.dy);
}

function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
