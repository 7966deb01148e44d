import type { Logger } from 'pino';
import type { RuntimeMetrics } from '../metrics.ts';
import type { Refs } from '../ref.ts';
import type { StateStore } from '../storage/state-store.ts';
import type { ObjectTurn } from './turn.ts';

/** What an activation needs from the node around it. */
export interface ActivationHost {
  readonly store: StateStore;
  readonly nodeId: string;
  readonly mailboxBound: number;
  readonly log: Logger;
  readonly metrics: RuntimeMetrics;
  readonly reminders: ReminderHost;
  refsFor(chain: () => string | undefined): Refs;
  /** False once this node may have lost the object's shard (lease expired or ownership moved). */
  canCommit(shard: number): boolean;
  /** Turns that never started; they are sent back to the caller as not delivered, to be retried elsewhere. */
  bounce(turns: ObjectTurn[]): void;
  newChain(): string;
  nextTimerId(): number;
}

/** Which object a reminder belongs to. */
export interface ReminderOwner {
  readonly id: string;
  readonly shard: number;
}

export interface ReminderHost {
  set(owner: ReminderOwner, name: string, dueMs: number, periodMs: number): Promise<void>;
  clear(owner: ReminderOwner, name: string): Promise<void>;
}
