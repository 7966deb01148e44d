/**
 * Where object state lives between activations. Every write is checked against the revision the writer last saw,
 * so a stale activation (for example on a node that was cut off while another took over) cannot overwrite newer state.
 */
import type { AppendStats } from '../transport/batched-appends.ts';

export type Revision = number;

export interface StoredState {
  readonly value: Uint8Array;
  readonly revision: Revision;
}

export interface StateStore {
  /** Human-readable name for logs and metrics, e.g. "jetstream-kv", "lmdb", "memory". */
  readonly kind: string;
  /** How the saves were sent so far, where the store batches them (JetStream KV); read by metrics. */
  readonly writeStats?: AppendStats | undefined;
  load(id: string): Promise<StoredState | undefined>;
  /**
   * Stores `value` if the current revision equals `expected` (`undefined` means the id must not exist yet).
   * Resolves to the new revision; rejects with {@link RevisionConflict} when someone else wrote in between.
   */
  save(id: string, value: Uint8Array, expected: Revision | undefined): Promise<Revision>;
  /** Removes the id if its revision equals `expected`; rejects with {@link RevisionConflict} otherwise. */
  remove(id: string, expected: Revision): Promise<void>;
  close(): Promise<void>;
}

export class RevisionConflict extends Error {
  override readonly name = 'RevisionConflict';
  constructor(
    readonly id: string,
    readonly expected: Revision | undefined,
  ) {
    super(`state of ${id} changed since revision ${expected ?? '(none)'}: another activation wrote it`);
  }
}
