import type { ResidentError } from '../errors.ts';
import type { Turn } from '../mailbox/mailbox.ts';
import type { AnyResident } from '../resident.ts';

/** One turn of an object: a caller's call, a timer or a reminder. */
export interface ObjectTurn extends Turn {
  /** Epoch ms after which the caller has given up; 0 for none. */
  readonly deadline: number;
  /** Timer turns: they do not count as use, so a timer alone never keeps an object active. */
  readonly internal?: boolean;
  /** A caller's call: the method, and its arguments (replaced by the checked ones as the call is admitted). */
  readonly method?: string;
  args?: unknown[];
  run(instance: AnyResident): unknown;
  settle(err: ResidentError | undefined, result?: unknown): void;
  /** A caller's call id (caller, epoch, sequence): set, the object runs it at most once however often it is resent. */
  readonly callKey?: string;
  /** With a call key: its caller has settled every call of that caller below this sequence number (0: none). */
  readonly settledBelow?: number;
  /** Settles with a result already packed (the one remembered for resends), so it is not packed twice. */
  settlePacked?(result: Uint8Array): void;
}
