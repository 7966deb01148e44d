import { setTimeout as sleep } from 'node:timers/promises';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  jetstream,
  type StreamConfig,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { headers, type MsgHdrs, type NatsConnection, TimeoutError } from '@nats-io/transport-node';
import { type Revision, RevisionConflict, type StateStore, type StoredState } from './state-store.ts';

export interface KvStateStoreOptions {
  /** Created on first open (history 1, direct gets where the server has them); an existing bucket is used as is. */
  readonly bucket: string;
  /** Copies the cluster keeps of each value when the bucket is created: 1 by default, 3 in production. */
  readonly replicas?: number;
  /**
   * Lets any replica answer loads (direct get): faster and spreads the load, but a follower may lag behind the last
   * acknowledged write, so an activation can start from stale state and then fail its first save. Off by default.
   * A single-replica bucket always reads directly, since its only replica is the one that acknowledged the write.
   */
  readonly allowStaleReads?: boolean;
}

const EMPTY = new Uint8Array(0);
const SETUP_ATTEMPTS = 5;
const SETUP_TIMEOUT_MS = 2_000;
const SETUP_BACKOFF_MS = 100;
/** Another node created the bucket first with a different configuration; the next attempt just opens it. */
const STREAM_NAME_IN_USE = 10058;
/** Stays well inside the server's 4 KiB control line, which also carries the subject prefix and the reply inbox. */
const MAX_KEY_LENGTH = 2048;
const SAFE_KEY = /^(?:[A-Za-z0-9_/-]|=[0-9a-f]{4})+$/;
const UNSAFE_CHAR = /[^A-Za-z0-9_/-]/g;
/** "=" alone never comes out of escaping, which always writes four hex digits after it. */
const EMPTY_ID_KEY = '=';

/**
 * Maps any id to a KV key (`[-/_=.A-Za-z0-9]`, no empty tokens): characters outside `[-/_A-Za-z0-9]` become "=" and
 * the four hex digits of their UTF-16 code unit. Per code unit rather than UTF-8, so unpaired surrogates stay distinct.
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

/**
 * State in a JetStream KV bucket, for clusters. Revisions are stream sequences, so they are never reused, even for a
 * removed and re-created id. Every write is one independent publish; nothing queues behind another write.
 */
export class KvStateStore implements StateStore {
  readonly kind = 'jetstream-kv';
  readonly #js: JetStreamClient;
  readonly #kv: KV;
  readonly #subjectPrefix: string;
  readonly #replicated: boolean;

  private constructor(js: JetStreamClient, kv: KV, bucket: string, replicated: boolean) {
    this.#js = js;
    this.#kv = kv;
    this.#subjectPrefix = `$KV.${bucket}.`;
    this.#replicated = replicated;
  }

  /** The connection stays the caller's: `close` leaves it open. */
  static async open(nc: NatsConnection, options: KvStateStoreOptions): Promise<KvStateStore> {
    const config = await ensureBucket(nc, options.bucket, options.replicas ?? 1);
    const replicated = config.num_replicas > 1;
    // Followers answer direct gets too; only reads through the stream leader see every acknowledged write.
    const direct = config.allow_direct === true && (!replicated || options.allowStaleReads === true);
    const js = jetstream(nc);
    const kv = await new Kvm(js).open(options.bucket, { allow_direct: direct });
    return new KvStateStore(js, kv, options.bucket, replicated);
  }

  async load(id: string): Promise<StoredState | undefined> {
    const entry = await this.#kv.get(encodeStateKey(id));
    // A removed id leaves a DEL (or PURGE) marker as its latest entry: that is absence, not state.
    if (entry === null || entry.operation !== 'PUT') return undefined;
    // Copy: a direct get's bytes are a view into the socket chunk, which would otherwise live as long as the state.
    return { value: new Uint8Array(entry.value), revision: entry.revision };
  }

  async save(id: string, value: Uint8Array, expected: Revision | undefined): Promise<Revision> {
    const key = encodeStateKey(id);
    // Copy now: the client sends the bytes later, and a create may publish only after a read.
    const data = new Uint8Array(value);
    const revision = expected === undefined ? await this.#create(key, data) : await this.#update(key, data, expected);
    if (revision === undefined) throw new RevisionConflict(id, expected);
    return revision;
  }

  async remove(id: string, expected: Revision): Promise<void> {
    const marker = headers();
    marker.set('KV-Operation', 'DEL');
    const revision = await this.#update(encodeStateKey(id), EMPTY, expected, marker);
    if (revision === undefined) throw new RevisionConflict(id, expected);
  }

  async close(): Promise<void> {}

  async #create(key: string, data: Uint8Array): Promise<Revision | undefined> {
    const revision = await this.#append(key, data, 0);
    if (revision !== undefined) return revision;
    // The key has history. A removed id keeps its DEL/PURGE marker as the latest entry; only that may be replaced.
    const latest = await this.#kv.get(key);
    if (latest === null || latest.operation === 'PUT') return undefined;
    return this.#append(key, data, latest.revision);
  }

  #update(key: string, data: Uint8Array, expected: Revision, hdrs?: MsgHdrs): Promise<Revision | undefined> {
    // Sequences start at 1. An expected 0 would mean "no history" to the server, so it must not get that far.
    if (!Number.isSafeInteger(expected) || expected < 1) return Promise.resolve(undefined);
    return this.#append(key, data, expected, hdrs);
  }

  /** Publishes if the key's last sequence is `after` (0: no history); undefined when someone else wrote first. */
  async #append(key: string, data: Uint8Array, after: number, hdrs?: MsgHdrs): Promise<Revision | undefined> {
    try {
      const ack = await this.#js.publish(this.#subjectPrefix + key, data, {
        expect: { lastSubjectSequence: after },
        // A replicated stream on nats-server 2.9.x (2.9.10 included; issue 4320) checks a non-zero expected sequence
        // only before proposing the write, so concurrent writers from one revision could all succeed. Naming the
        // write after that revision makes them one message to the leader's dedupe, which admits only the first.
        msgID: this.#replicated && after > 0 ? `${key}@${after}` : undefined,
        headers: hdrs,
      });
      // A duplicate is another writer's message from the same revision: it won, so this write lost.
      return ack.duplicate ? undefined : ack.seq;
    } catch (err) {
      if (isWrongLastSequence(err)) return undefined;
      throw err;
    }
  }
}

/**
 * Creates the bucket unless it exists. Nodes starting together race here, and a nats-server 2.9 cluster answers
 * requests about a just-created stream late (leader still being elected) or "not found" (assignment not applied on
 * that server yet), so those are retried; creating is idempotent.
 */
async function ensureBucket(nc: NatsConnection, bucket: string, replicas: number): Promise<StreamConfig> {
  const kvm = new Kvm(jetstream(nc, { timeout: SETUP_TIMEOUT_MS }));
  for (let attempt = 1; ; attempt++) {
    try {
      const created = await kvm.create(bucket, { history: 1, replicas });
      return (await created.status()).streamInfo.config;
    } catch (err) {
      if (!isSetupRace(err) || attempt >= SETUP_ATTEMPTS) throw err;
      await sleep(SETUP_BACKOFF_MS * attempt);
    }
  }
}

function isSetupRace(err: unknown): boolean {
  if (err instanceof TimeoutError) return true;
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamNotFound || err.code === STREAM_NAME_IN_USE)
  );
}

function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
