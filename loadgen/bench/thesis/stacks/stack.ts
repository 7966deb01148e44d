// What the thesis bench drives: one stack's game services, however they are built, and the processes they run in.
import type { Op } from '../workload.ts';

/** The processes a stack runs in, by role, for their CPU time (the application tier first). */
export interface StackProcess {
  name: string;
  /** 'app' for the application tier (the same count on both sides); 'infra' for NATS, PostgreSQL, Redis. */
  tier: 'app' | 'infra';
  pid: number | undefined;
  /** Count the processes under it too (PostgreSQL's backends). */
  tree?: boolean;
}

/** Counters a stack reads from its own servers, as totals so far: diffed over a phase, divided by its operations. */
export interface StackCounters {
  /** Statements PostgreSQL executed (pg_stat_statements). */
  dbQueries?: number;
  /** Commands Redis processed. */
  redisCommands?: number;
  /** Messages NATS received from clients. */
  natsMessages?: number;
  /** Objects' state writes the nodes sent to JetStream, and the atomic batches that stored some of them. */
  stateWrites?: number;
  stateBatches?: number;
}

/** A client of the stack's services, as one application server would be; several may exist side by side. */
export interface StackClient {
  call(op: Op): Promise<unknown>;
  /** The player's XP as this client reads it now (the profile read the game does). */
  xp(player: number): Promise<number>;
}

export interface Stack {
  readonly name: 'resident' | 'stateless';
  /** What the stack is, for the output: processes, stores, settings. */
  readonly description: string[];
  readonly processes: StackProcess[];
  /** `count` clients, each through a different application process where the stack has several. */
  clients(count: number): Promise<StackClient[]>;
  counters(): Promise<StackCounters>;
  close(): Promise<void>;
}
