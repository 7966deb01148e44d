import type { Logger } from 'pino';
import type { Refs } from './ref.ts';

/** Wall-clock time, given to objects and rooms so a test can run them on a clock of its own. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * What the node gives an object or a room it runs (as Orleans grains get their GrainFactory and RuntimeIdentity):
 * other objects, the node's id, the clock and a logger. Nothing in a game reads these from a global.
 */
export interface ResidentContext {
  /** References to other objects; an object's calls through them join its call's chain. */
  readonly objects: Refs;
  /** The node this runs on (for display and logs: an object or a room may move to another node). */
  readonly nodeId: string;
  readonly clock: Clock;
  readonly log: Logger;
}

/** What the runtime gives each activation; hidden behind a symbol so subclasses keep a clean namespace. */
export interface ActivationContext {
  readonly refs: Refs;
  readonly context: ResidentContext;
  setTimer(fn: () => unknown, ms: number, repeat: boolean): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  setReminder(name: string, dueMs: number, periodMs: number): Promise<void>;
  clearReminder(name: string): Promise<void>;
}

export interface TimerHandle {
  readonly id: number;
}

export const CONTEXT = Symbol('resident.context');

/**
 * Base class of every stateful object. `state` is plain data; it is stored (for durable classes) before any call
 * that changed it is acknowledged. Subclasses add a `static initial(key)` that returns the state of a new object,
 * and a `static expose` that lists the methods callers may call, each with the schema of its arguments:
 *
 *     static readonly expose = { grant: z.tuple([z.int().min(0).max(1000)]), profile: z.tuple([]) };
 */
export abstract class Resident<S = unknown> {
  /** Durable objects persist state before replying; volatile ones live only in memory. */
  static durable = true;
  /** Deactivate after this long without a call; undefined means the runtime default. */
  static idleMs: number | undefined;

  declare readonly key: string;
  declare state: S;
  declare [CONTEXT]: ActivationContext;

  /** References to other objects; calls made through them join this call's chain. */
  protected get objects(): Refs {
    return this[CONTEXT].refs;
  }

  /** The node this activation runs on, its clock and a logger for this object; set by the runtime at activation. */
  protected get context(): ResidentContext {
    return this[CONTEXT].context;
  }

  /** A volatile timer: it runs as a turn of this object and dies with the activation. */
  protected setTimer(fn: () => unknown, ms: number, opts: { repeat?: boolean } = {}): TimerHandle {
    return this[CONTEXT].setTimer(fn, ms, opts.repeat ?? false);
  }

  protected clearTimer(handle: TimerHandle): void {
    this[CONTEXT].clearTimer(handle);
  }

  /** A durable reminder: `onReminder(name)` fires on whichever node owns this object when it is due. */
  protected setReminder(name: string, opts: { dueMs: number; periodMs?: number }): Promise<void> {
    return this[CONTEXT].setReminder(name, opts.dueMs, opts.periodMs ?? 0);
  }

  protected clearReminder(name: string): Promise<void> {
    return this[CONTEXT].clearReminder(name);
  }

  onActivate?(): void | Promise<void>;
  onDeactivate?(): void | Promise<void>;
  onReminder?(name: string): void | Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: a class of any Resident, whatever its state type
export type AnyResident = Resident<any>;

export type { ExposeList, ResidentClass } from './resident-class.ts';
