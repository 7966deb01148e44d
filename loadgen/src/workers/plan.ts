// What the coordinator tells one worker to do. Plain data: it crosses process and machine boundaries.

import type { NatsClientSettings } from '@resident/shared/nats';
import type { Scenario } from '../scenarios/scenario.ts';

export interface WorkerPlan {
  runId: string;
  worker: string;
  workerIndex: number;
  /** This worker's users, and the run-wide index of its first one (profiles and samples use run-wide indexes). */
  users: number;
  userOffset: number;
  /** Epoch ms when the ramp starts (the same for every worker); users come linearly over rampMs. */
  t0: number;
  rampMs: number;
  holdMs: number;
  scenario: Scenario;
  /** Base URLs (http://host:port) of the nodes that take logins and matchmaking. */
  targets: string[];
  /** Joins (or first object calls) in flight at most. */
  concurrency: number;
  stepTimeoutMs: number;
  /** Use 127.x.y.z source addresses (loopback targets only). */
  spreadSources: boolean;
  /** Epoch ms of the measurement window's start: the worker runs a full GC then, so its RSS shows what bots keep. */
  gcAt: number;
  /** For the objects scenario: the cluster's NATS and name, and the node role's credentials (file paths) for it. */
  objects?: { natsUrls: string[]; cluster: string; idPrefix: string; auth: NatsClientSettings };
}

/** Users a worker should have started by `now` on a linear ramp. */
export function rampTarget(plan: Pick<WorkerPlan, 't0' | 'rampMs' | 'users'>, now: number): number {
  if (now < plan.t0) return 0;
  if (plan.rampMs <= 0 || now >= plan.t0 + plan.rampMs) return plan.users;
  return Math.floor((plan.users * (now - plan.t0)) / plan.rampMs);
}

const SOURCE_BITS = 12;
/** Bots that share one source address, at most (the node limits of `--local` are sized by it). */
export const BOTS_PER_SOURCE = 1 << SOURCE_BITS;

/** A distinct loopback source address per worker and per 4,096 bots: each gets its own ephemeral port range. */
export function sourceAddress(workerIndex: number, i: number): string {
  return `127.${1 + (workerIndex % 250)}.${(i >> SOURCE_BITS) & 255}.${1 + ((i >> (SOURCE_BITS + 8)) & 127)}`;
}

export interface Fleet {
  start(): void;
  gauges(): { target: number; active: number; joining: number };
  /** Ends all users (bounded in time). */
  stop(): Promise<void>;
}
