import { type Revision, RevisionConflict, type StateStore, type StoredState } from './state-store.ts';

/**
 * Keeps state in process memory: for volatile objects and tests. Bytes are copied in and out so no caller can change
 * stored state through a buffer it still holds.
 */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory';
  readonly #entries = new Map<string, StoredState>();
  // One counter for the whole store rather than per id: a removed and re-created id must never hand out a revision
  // again, or a stale writer still holding it could overwrite the new state.
  #lastRevision = 0;

  async load(id: string): Promise<StoredState | undefined> {
    const entry = this.#entries.get(id);
    return entry && { value: new Uint8Array(entry.value), revision: entry.revision };
  }

  async save(id: string, value: Uint8Array, expected: Revision | undefined): Promise<Revision> {
    if (this.#entries.get(id)?.revision !== expected) throw new RevisionConflict(id, expected);
    const revision = ++this.#lastRevision;
    this.#entries.set(id, { value: new Uint8Array(value), revision });
    return revision;
  }

  async remove(id: string, expected: Revision): Promise<void> {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.revision !== expected) throw new RevisionConflict(id, expected);
    this.#entries.delete(id);
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }
}
