// Scenarios: which bots a run starts (socket scenarios), or how simulated users call objects (the objects scenario).
// Presets live in loadgen/scenarios/*.json; flags override their numbers.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BotProfile {
  /** "idle" or "play": shown in reports. */
  profile: string;
  /** Share of the run's bots, relative to the other profiles' weights. */
  weight: number;
  room: string;
  /** Inputs per second (0: none). */
  inputHz: number;
  /** App-level ping period for bots that ping (0: none). */
  pingEveryMs: number;
  /** Fraction of this profile's bots that ping. */
  pingSample: number;
  /** "app": bytes "ping" → "pong" (the arena's timestamped ping); "protocol": Colyseus PING, which every room answers. */
  pingKind: 'app' | 'protocol';
  /** Fraction of this profile's bots that decode the full state (and measure input→ack RTT). */
  decodeSample: number;
  /**
   * When the room's node goes away: "reconnect" by reconnection token through any node (the room survives its node
   * and comes back elsewhere, as the arena does), or "rematch": matchmake again, as a lobby client does for a room
   * that ends with its node (the lounge).
   */
  recover: Recover;
}

export type Recover = 'reconnect' | 'rematch';

export type Scenario =
  | { name: string; description: string; kind: 'sockets'; bots: BotProfile[] }
  | { name: string; description: string; kind: 'objects'; touchEveryMs: number };

export const PRESET_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));
export const PRESETS = ['idle', 'play', 'mix', 'objects'] as const;

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** A preset name or a path to a scenario file. */
export function loadScenario(nameOrPath: string): Scenario {
  const file = (PRESETS as readonly string[]).includes(nameOrPath) ? `${PRESET_DIR}${nameOrPath}.json` : nameOrPath;
  if (!existsSync(file)) {
    throw new ScenarioError(
      `--scenario: no preset or file ${JSON.stringify(nameOrPath)} (presets: ${PRESETS.join(', ')})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(`--scenario ${file}: not valid JSON (${(err as Error).message})`);
  }
  return checkScenario(raw, file);
}

function checkScenario(raw: unknown, file: string): Scenario {
  const s = raw as Partial<Scenario> & { bots?: unknown; touchEveryMs?: unknown };
  const bad = (what: string) => new ScenarioError(`scenario ${file}: ${what}`);
  if (typeof s.name !== 'string' || typeof s.description !== 'string') throw bad('needs "name" and "description"');
  if (s.kind === 'objects') {
    if (typeof s.touchEveryMs !== 'number' || s.touchEveryMs < 1000) throw bad('"touchEveryMs" must be >= 1000');
    return { name: s.name, description: s.description, kind: 'objects', touchEveryMs: s.touchEveryMs };
  }
  if (s.kind !== 'sockets' || !Array.isArray(s.bots) || s.bots.length === 0) {
    throw bad('"kind" must be "sockets" (with a non-empty "bots" list) or "objects"');
  }
  return { name: s.name, description: s.description, kind: 'sockets', bots: s.bots.map((b) => checkProfile(b, bad)) };
}

function checkProfile(raw: unknown, bad: (what: string) => Error): BotProfile {
  const b = raw as Record<string, unknown>;
  const num = (key: string, min: number, max: number) => {
    const v = b[key];
    if (typeof v !== 'number' || !(v >= min && v <= max))
      throw bad(`bots[].${key} must be a number from ${min} to ${max}`);
    return v;
  };
  if (typeof b.profile !== 'string' || typeof b.room !== 'string' || !/^[\w-]{1,64}$/.test(b.room)) {
    throw bad('bots[] need "profile" and a "room" name');
  }
  return {
    profile: b.profile,
    room: b.room,
    weight: num('weight', 0, 1e6),
    inputHz: num('inputHz', 0, 30),
    pingEveryMs: num('pingEveryMs', 0, 600_000),
    pingSample: num('pingSample', 0, 1),
    decodeSample: num('decodeSample', 0, 1),
    pingKind: pingKind(b.pingKind, bad),
    recover: recover(b.recover, bad),
  };
}

function recover(raw: unknown, bad: (what: string) => Error): Recover {
  if (raw === undefined || raw === 'reconnect') return 'reconnect';
  if (raw === 'rematch') return 'rematch';
  throw bad('bots[].recover must be "reconnect" or "rematch"');
}

function pingKind(raw: unknown, bad: (what: string) => Error): 'app' | 'protocol' {
  if (raw === undefined || raw === 'app') return 'app';
  if (raw === 'protocol') return 'protocol';
  throw bad('bots[].pingKind must be "app" or "protocol"');
}

/** `idle=80,play=20`: new weights for the profiles of a socket scenario. */
export function applyBlend(scenario: Scenario, blend: string): Scenario {
  if (scenario.kind !== 'sockets') throw new ScenarioError('--blend applies to socket scenarios only');
  const weights = new Map<string, number>();
  for (const part of blend.split(',')) {
    const m = /^([\w-]+)=(\d+(?:\.\d+)?)$/.exec(part.trim());
    if (!m) throw new ScenarioError(`--blend must look like idle=80,play=20, got ${JSON.stringify(blend)}`);
    weights.set(m[1]!, Number(m[2]));
  }
  for (const name of weights.keys()) {
    if (!scenario.bots.some((b) => b.profile === name)) {
      throw new ScenarioError(
        `--blend: scenario "${scenario.name}" has no profile "${name}" (has: ${scenario.bots.map((b) => b.profile).join(', ')})`,
      );
    }
  }
  const bots = scenario.bots.map((b) => ({ ...b, weight: weights.get(b.profile) ?? 0 }));
  if (bots.every((b) => b.weight === 0)) throw new ScenarioError('--blend: all weights are 0');
  return { ...scenario, bots };
}

/** Low-discrepancy pick: bot i's profile, spread evenly by weight at any bot count. */
export function profileFor(bots: readonly BotProfile[], i: number): BotProfile {
  const total = bots.reduce((sum, b) => sum + b.weight, 0);
  let u = frac(i * 0.6180339887498949) * total;
  for (const b of bots) {
    if (u < b.weight) return b;
    u -= b.weight;
  }
  return bots[bots.length - 1]!;
}

/** Whether bot i falls in a sample of the given fraction (a different sequence per salt). */
export function inSample(i: number, fraction: number, salt: number): boolean {
  return fraction > 0 && frac((i + 1) * (0.7548776662466927 + salt * 0.5698402909980532)) < fraction;
}

function frac(x: number): number {
  return x - Math.floor(x);
}
