import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AppendStats } from '../transport/batched-appends.ts';
import { CasBucket, type CasBucketOptions } from '../transport/cas-bucket.ts';
import { detectServerFeatures } from '../transport/server-features.ts';
import { BatchGetter, type LastEntry } from './kv-batch-get.ts';
import { type Revision, RevisionConflict, type StateStore, type StoredState } from './state-store.ts';

export interface KvStateStoreOptions extends CasBucketOptions {
  /** Created on first open (history 1, direct gets where the server has them); an existing bucket is used as is. */
  readonly bucket: string;
}

/** Stays well inside the server's 4 KiB control line, which also carries the subject prefix and the reply inbox. */
const MAX_KEY_LENGTH = 2048;
const SAFE_KEY = /^(?:[A-Za-z0-9_/-]|=[0-9a-f]{4})+$/;
const UNSAFE_CHAR = /[^A-Za-z0-9_/-]/g;
/** "=" alone never comes out of escaping, which always writes four hex digits after it. */
const EMPTY_ID_KEY = '=';

/**
 * Maps any id to a KV key of `[-/_=A-Za-z0-9]` only, so no dots (subject tokens) or wildcards: every other character
 * becomes "=" and the four hex digits of its UTF-16 code unit. Per code unit rather than UTF-8 byte, so unpaired
 * surrogates stay distinct instead of collapsing into U+FFFD.
 */
export function encodeStateKey(id: string): string {
  if (id === '') return EMPTY_ID_KEY;
  const key = id.replace(UNSAFE_CHAR, (char) => `=${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (key.length > MAX_KEY_LENGTH) throw new RangeError(`object id is too long for a KV key (${key.length} encoded)`);
  return key;
}

export function decodeStateKey(key: string): string {
  if (key === EMPTY_ID_KEY) return '';
  if (!SAFE_KEY.test(key)) throw new Error(`not an encoded object id: ${key}`);
  return key.replace(/=([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Reads one key's last entry: a batch direct get shared with other loads, or a get of its own. */
type ReadLast = (key: string) => Promise<LastEntry | null | undefined>;

/**
 * State in a JetStream KV bucket, for clusters. Revisions are stream sequences, so they are never reused, even for a
 * removed and re-created id. Loads that arrive together go as one batch direct get where the server has it (2.11+)
 * and the bucket reads directly; elsewhere each load is one get.
 */
export class KvStateStore implements StateStore {
  readonly kind = 'jetstream-kv';

  private constructor(
    private readonly bucket: CasBucket,
    private readonly readLast: ReadLast,
    /** "batch" or "single": how loads read, chosen once at open. */
    readonly loads: 'batch' | 'single',
  ) {}

  /** The connection stays the caller's: `close` leaves it open. */
  static async open(nc: NatsConnection, options: KvStateStoreOptions): Promise<KvStateStore> {
    const bucket = await CasBucket.open(nc, options.bucket, options);
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    // A batch direct get may be answered by any replica, so only a bucket that reads directly anyway batches.
    if (bucket.direct && (await detectServerFeatures(nc, jsm)).batchDirectGet) {
      const batches = new BatchGetter(jsm, bucket.stream);
      return new KvStateStore(bucket, (key) => batches.get(bucket.subjectPrefix + key), 'batch');
    }
    return new KvStateStore(bucket, (key) => bucket.kv.get(key), 'single');
  }

  /** "batch": the saves of one tick are stored as one atomic batch (nats-server 2.12+); "single": each alone. */
  get writes(): 'batch' | 'single' {
    return this.bucket.writes;
  }

  /** How the saves and removes went so far: batched, singly, or sent again singly after a refused batch. */
  get writeStats(): AppendStats {
    return this.bucket.appendStats;
  }

  async load(id: string): Promise<StoredState | undefined> {
    const entry = await this.readLast(encodeStateKey(id));
    // A removed id leaves a DEL (or PURGE) marker as its latest entry: that is absence, not state.
    if (entry?.operation !== 'PUT') return undefined;
    // Copy: a direct get's bytes are a view into the socket chunk, which would otherwise live as long as the state.
    return { value: new Uint8Array(entry.value), revision: entry.revision };
  }

  async save(id: string, value: Uint8Array, expected: Revision | undefined): Promise<Revision> {
    const key = encodeStateKey(id);
    // Copy now: the client sends the bytes later, and a create may publish only after a read.
    const data = new Uint8Array(value);
    const revision =
      expected === undefined ? await this.bucket.create(key, data) : await this.bucket.update(key, data, expected);
    if (revision === undefined) throw new RevisionConflict(id, expected);
    return revision;
  }

  async remove(id: string, expected: Revision): Promise<void> {
    if (!(await this.bucket.remove(encodeStateKey(id), expected))) throw new RevisionConflict(id, expected);
  }

  async close(): Promise<void> {}
}
