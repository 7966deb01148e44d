// Coordinator ⇄ worker messages, the same over fork IPC (one machine) and over NATS (several).

import type { WorkerSample } from '../metrics/sample.ts';
import type { WorkerPlan } from './plan.ts';

export type ToWorker = { type: 'start'; plan: WorkerPlan } | { type: 'stop' };

export type FromWorker =
  | { type: 'hello'; worker: string; host: string; pid: number }
  | { type: 'sample'; sample: WorkerSample }
  | { type: 'stopped'; worker: string }
  | { type: 'failed'; worker: string; message: string };

/** The worker's side of a link. */
export interface Channel {
  send(msg: FromWorker): void;
  onMessage(handler: (msg: ToWorker) => void): void;
}

/** The coordinator's side of a link to one worker. */
export interface WorkerLink {
  readonly id: string;
  /** Where it runs, for the report. */
  readonly where: string;
  send(msg: ToWorker): void;
  onMessage(handler: (msg: FromWorker) => void): void;
  /** Called once if the worker goes away (process exit); remote links only learn it from silence. */
  onGone(handler: (why: string) => void): void;
  close(): Promise<void>;
}
