// Finding capacity: the most users a cluster holds within the latency bound, in few steps. Each step is a whole run
// (ramp, hold) at one user count that passes or fails; the next count grows geometrically until a step fails (or
// shrinks until one passes), then bisects between the best pass and the lowest fail above it down to a resolution.

export interface SearchPlan {
  /** The first step's users. */
  readonly start: number;
  /** Factor a passing step grows by while no step has failed; a failing one (before any pass) shrinks by its square. */
  readonly growth: number;
  /** Stop once the lowest fail is within this fraction above the best pass (0.1: capacity known to 10 %). */
  readonly resolution: number;
  readonly min: number;
  readonly max: number;
  readonly maxSteps: number;
}

export interface Trial {
  readonly users: number;
  readonly pass: boolean;
}

/** The next step's users, or undefined when capacity is known well enough (or cannot be found in bounds). */
export function nextUsers(trials: readonly Trial[], plan: SearchPlan): number | undefined {
  if (trials.length === 0) return clamp(plan.start, plan);
  if (trials.length >= plan.maxSteps) return undefined;
  const { lo, hi } = bracket(trials);
  const tried = (u: number) => trials.some((t) => t.users === u);
  let next: number;
  if (hi === undefined) next = Math.ceil(lo! * plan.growth);
  else if (lo === undefined) next = Math.floor(hi / plan.growth ** 2);
  else if (hi <= lo * (1 + plan.resolution)) return undefined;
  else next = Math.round((lo + hi) / 2);
  next = clamp(next, plan);
  return tried(next) ? undefined : next;
}

/** The best passing step's users, and the lowest failing one above it. */
export function bracket(trials: readonly Trial[]): { lo: number | undefined; hi: number | undefined } {
  const passes = trials.filter((t) => t.pass).map((t) => t.users);
  const lo = passes.length ? Math.max(...passes) : undefined;
  const fails = trials.filter((t) => !t.pass && (lo === undefined || t.users > lo)).map((t) => t.users);
  return { lo, hi: fails.length ? Math.min(...fails) : undefined };
}

function clamp(users: number, plan: SearchPlan): number {
  return Math.min(plan.max, Math.max(plan.min, users));
}
