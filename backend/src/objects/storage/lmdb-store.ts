import { type Key, open, type RootDatabase } from 'lmdb';
import { type Revision, RevisionConflict, type StateStore, type StoredState } from './state-store.ts';

/**
 * lmdb's key limit is 1978 bytes, and ids starting with a control character take one more byte in its key encoding.
 * Checked up front because an oversized key fails inside lmdb's write batch and leaves the batch unusable.
 */
const MAX_ID_BYTES = 1977;
/** Holds the revision high-water mark in its version. Numbers and strings never meet in lmdb's key encoding. */
const META_KEY = 0;
const REVISION_BLOCK = 1024;
const EMPTY = new Uint8Array(0);

/** With `separateFlushed`, a write resolves at commit and carries a second promise for reaching the disk. */
type CommitPromise = Promise<boolean> & { flushed?: PromiseLike<unknown> };

/**
 * Embedded store for single-node mode. Revisions are lmdb entry versions checked atomically at commit; lmdb batches
 * the writes of one event turn into one transaction, so many concurrent saves cost one commit.
 *
 * Revisions come from one counter for the whole database, never reused, so a stale writer cannot match the state of
 * a removed and re-created id. The counter lives in this process: open a path from one process at a time.
 */
export class LmdbStateStore implements StateStore {
  readonly kind = 'lmdb';
  readonly #db: RootDatabase<Uint8Array, Key>;
  #nextRevision: Revision;
  #reservedUpTo: Revision;

  private constructor(db: RootDatabase<Uint8Array, Key>) {
    this.#db = db;
    this.#reservedUpTo = db.getEntry(META_KEY)?.version ?? 0;
    this.#nextRevision = this.#reservedUpTo + 1;
  }

  static async open(path: string): Promise<LmdbStateStore> {
    return new LmdbStateStore(
      open<Uint8Array, Key>({ path, useVersions: true, encoding: 'binary', separateFlushed: true }),
    );
  }

  async load(id: string): Promise<StoredState | undefined> {
    const entry = this.#db.getEntry(id);
    // Copy into a plain Uint8Array: lmdb hands out Buffers, which compare and slice differently.
    return entry && { value: new Uint8Array(entry.value), revision: entry.version ?? 0 };
  }

  async save(id: string, value: Uint8Array, expected: Revision | undefined): Promise<Revision> {
    checkIdSize(id);
    const revision = this.#allocateRevision();
    // lmdb reads the buffer later, on its write thread; the caller may have reused it by then.
    const data = new Uint8Array(value);
    const write =
      expected === undefined
        ? this.#db.ifNoExists(id, () => {
            this.#db.put(id, data, revision);
          })
        : this.#db.put(id, data, revision, expected);
    if (!(await durable(write))) throw new RevisionConflict(id, expected);
    return revision;
  }

  async remove(id: string, expected: Revision): Promise<void> {
    checkIdSize(id);
    if (!(await durable(this.#db.remove(id, expected)))) throw new RevisionConflict(id, expected);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  #allocateRevision(): Revision {
    if (this.#nextRevision > this.#reservedUpTo) this.#reserve(this.#nextRevision + REVISION_BLOCK - 1);
    return this.#nextRevision++;
  }

  /** Persists the high-water mark ahead of the writes using it, so a restart continues above every handed-out one. */
  #reserve(upTo: Revision): void {
    this.#reservedUpTo = upTo;
    // Queued before the write that needs it, so it commits in the same or an earlier transaction. If it fails, that
    // write fails with it and reports the error; only the next allocation must reserve again.
    this.#db.put(META_KEY, EMPTY, upTo).catch(() => {
      this.#reservedUpTo = Math.min(this.#reservedUpTo, this.#nextRevision - 1);
    });
  }
}

/** Resolves once the write is on disk, not merely committed; a write whose condition failed changed nothing. */
async function durable(write: CommitPromise): Promise<boolean> {
  const applied = await write;
  if (applied) await write.flushed;
  return applied;
}

function checkIdSize(id: string): void {
  const bytes = Buffer.byteLength(id);
  if (bytes > MAX_ID_BYTES) throw new RangeError(`object id is ${bytes} bytes; lmdb allows at most ${MAX_ID_BYTES}`);
}
