import { setTimeout as sleep } from 'node:timers/promises';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { headers, type MsgHdrs, type NatsConnection, TimeoutError } from '@nats-io/transport-node';
import { AckPipeline, NoStreamResponded } from './ack-pipeline.ts';
import { type AppendStats, BatchedAppends, expecting } from './batched-appends.ts';
import { detectServerFeatures } from './server-features.ts';

export interface CasBucketOptions {
  /** Copies the cluster keeps of each value when the bucket is created: 1 by default, 3 in production. */
  readonly replicas?: number;
  /**
   * Lets any replica answer reads (direct get): faster, but a follower may lag behind the last acknowledged write.
   * A single-replica bucket always reads directly, since its only replica is the one that acknowledged the write.
   */
  readonly allowStaleReads?: boolean;
  /**
   * Where the stream takes atomic batches, when a group of writes goes as one: "auto" (the default) where that
   * measures cheaper than single publishes (see `CommitPolicy`), "always", or "never".
   */
  readonly writeBatches?: WriteBatches;
}

export type WriteBatches = 'auto' | 'always' | 'never';

const SETUP_ATTEMPTS = 20;
const SETUP_TIMEOUT_MS = 2_000;
const SETUP_BACKOFF_MS = 100;
/** Another node created the bucket first with a different configuration; the next attempt just opens it. */
const STREAM_NAME_IN_USE = 10058;
const EMPTY = new Uint8Array(0);

/**
 * A JetStream KV bucket with compare-and-set writes that hold on nats-server 2.9 clusters. Writes are pipelined:
 * writes to many keys are all in flight at once, and each is checked against its own key's expected sequence. Where
 * the stream takes atomic batches (created here on nats-server 2.12+), the creates and updates of one tick go as one
 * batch, stored under one fsync ({@link BatchedAppends}); elsewhere each is a publish of its own. Revisions are
 * stream sequences, never reused.
 */
export class CasBucket {
  /** Where a key's messages go, and the subject of its last message in the stream. */
  readonly subjectPrefix: string;
  /** The JetStream stream behind the bucket. */
  readonly stream: string;

  private constructor(
    private readonly acks: AckPipeline,
    /** Creates and updates, batched; undefined where the stream takes no atomic batches. */
    private readonly appends: BatchedAppends | undefined,
    /** How the writes went so far: shared with `appends`, which counts its own. */
    readonly appendStats: AppendStats,
    /** For reads and watches. */
    readonly kv: KV,
    readonly name: string,
    readonly replicated: boolean,
    /** Reads are direct gets, which any replica may answer; else they go through the stream leader. */
    readonly direct: boolean,
  ) {
    this.subjectPrefix = `$KV.${name}.`;
    this.stream = `KV_${name}`;
  }

  /**
   * Creates the bucket (history 1; atomic batches where the server has them) unless it exists; an existing bucket is
   * used as it is, so one created before atomic batches, or by another client, keeps single writes.
   */
  static async open(nc: NatsConnection, name: string, opts: CasBucketOptions = {}): Promise<CasBucket> {
    const config = await ensureBucket(nc, name, opts.replicas ?? 1);
    const replicated = config.num_replicas > 1;
    // Followers answer direct gets too; only reads through the stream leader see every acknowledged write.
    const direct = config.allow_direct === true && (!replicated || opts.allowStaleReads === true);
    const kv = await new Kvm(jetstream(nc)).open(name, { allow_direct: direct });
    const acks = new AckPipeline(nc);
    const batches = opts.writeBatches ?? 'auto';
    const stats: AppendStats = { batches: 0, batched: 0, singles: 0, resent: 0 };
    const appends =
      config.allow_atomic === true && batches !== 'never'
        ? new BatchedAppends(nc, acks, stats, batches === 'always')
        : undefined;
    return new CasBucket(acks, appends, stats, kv, name, replicated, direct);
  }

  /** "batch": a tick's creates and updates are stored as one atomic batch; "single": each is its own publish. */
  get writes(): 'batch' | 'single' {
    return this.appends ? 'batch' : 'single';
  }

  /** Writes a key that has no value (never written, or removed); undefined when it has one. */
  async create(key: string, data: Uint8Array): Promise<number | undefined> {
    const revision = await this.append(key, data, 0);
    if (revision !== undefined) return revision;
    // The key has history. A removed key keeps its DEL/PURGE marker as the latest entry; only that may be replaced.
    const latest = await this.kv.get(key);
    if (latest === null || latest.operation === 'PUT') return undefined;
    return this.append(key, data, latest.revision);
  }

  /** Writes if the key's revision is still `expected`; undefined when someone else wrote first. */
  update(key: string, data: Uint8Array, expected: number): Promise<number | undefined> {
    // Sequences start at 1. An expected 0 would mean "no history" to the server, so it must not get that far.
    if (!Number.isSafeInteger(expected) || expected < 1) return Promise.resolve(undefined);
    return this.append(key, data, expected);
  }

  /** Deletes (leaves a DEL marker) if the key's revision is still `expected`; false when someone else wrote first. */
  async remove(key: string, expected: number): Promise<boolean> {
    if (!Number.isSafeInteger(expected) || expected < 1) return false;
    const marker = headers();
    marker.set('KV-Operation', 'DEL');
    return (await this.append(key, EMPTY, expected, marker)) !== undefined;
  }

  /** Publishes if the key's last sequence is `after` (0: no history); undefined when someone else wrote first. */
  private async append(key: string, data: Uint8Array, after: number, hdrs?: MsgHdrs): Promise<number | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.publish(key, data, after, hdrs);
      } catch (err) {
        if (isWrongLastSequence(err) || isDuplicateInProcess(err)) return undefined;
        // No server took the message (a just-created replicated stream's interest has not reached every server
        // yet), so nothing was stored and sending it again is safe. A timeout is not: the write may have landed.
        if (!isNoResponders(err) || attempt >= NO_RESPONDERS_ATTEMPTS) throw err;
        await sleep(SETUP_BACKOFF_MS * attempt);
      }
    }
  }

  private async publish(key: string, data: Uint8Array, after: number, hdrs?: MsgHdrs): Promise<number | undefined> {
    // Batches need nats-server 2.12+, whose stream leader checks a subject's expected sequence against the writes it
    // is still proposing too, so a batched write needs no message id (a batch refuses them).
    if (this.appends && !hdrs) return (await this.appends.append(this.subjectPrefix + key, data, after)).seq;
    return this.publishAlone(key, data, after, hdrs);
  }

  private async publishAlone(key: string, data: Uint8Array, after: number, hdrs: MsgHdrs = headers()) {
    this.appendStats.singles++;
    expecting(after, hdrs);
    // A replicated stream on nats-server 2.9.x (2.9.10 included; nats-server issue 4320) checks a non-zero
    // expected sequence only before proposing the write, so concurrent writers from one revision could all
    // succeed. Naming the write after that revision makes them one message to the leader's dedupe, which admits
    // only the first.
    if (this.replicated && after > 0) hdrs.set('Nats-Msg-Id', `${key}@${after}`);
    const ack = await this.acks.publish(this.subjectPrefix + key, data, hdrs);
    // A duplicate is another writer's message from the same revision: it won, so this write lost.
    return ack.duplicate ? undefined : ack.seq;
  }
}

/**
 * Nodes starting together race here, and a nats-server 2.9 cluster answers requests about a just-created stream late
 * (leader still being elected) or "not found" (assignment not applied on that server yet), so those are retried;
 * creating is idempotent.
 */
async function ensureBucket(nc: NatsConnection, bucket: string, replicas: number): Promise<StreamConfig> {
  const jsm = await jetstreamManager(nc, { timeout: SETUP_TIMEOUT_MS, checkAPI: false });
  const atomic = (await detectServerFeatures(nc, jsm)).atomicBatchPublish;
  const config = bucketStream(bucket, replicas, atomic);
  for (let attempt = 1; ; attempt++) {
    try {
      const info = await jsm.streams.info(config.name).catch((err: unknown) => {
        if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
          return jsm.streams.add(config);
        }
        throw err;
      });
      // A replicated stream takes writes only once its replicas elected a leader.
      if (info.config.num_replicas > 1 && !info.cluster?.leader) throw new TimeoutError();
      return info.config;
    } catch (err) {
      if (!isSetupRace(err) || attempt >= SETUP_ATTEMPTS) throw err;
      await sleep(SETUP_BACKOFF_MS * attempt);
    }
  }
}

/**
 * The stream nats.js's `Kvm.create` makes for a bucket of history 1 (so any KV client reads and watches it), plus
 * atomic batches where the server has them: `Kvm.create` cannot ask for those, and a node may not update a stream.
 */
function bucketStream(bucket: string, replicas: number, atomic: boolean): Partial<StreamConfig> & { name: string } {
  return {
    name: `KV_${bucket}`,
    subjects: [`$KV.${bucket}.>`],
    retention: RetentionPolicy.Limits,
    max_msgs_per_subject: 1,
    max_bytes: -1,
    max_msg_size: -1,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    num_replicas: replicas,
    allow_direct: true,
    allow_rollup_hdrs: true,
    ...(atomic ? { allow_atomic: true } : {}),
  };
}

function isSetupRace(err: unknown): boolean {
  if (err instanceof TimeoutError) return true;
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamNotFound || err.code === STREAM_NAME_IN_USE)
  );
}

/** Newer servers (2.15) refuse a message id another writer's message is still being proposed under: it won. */
const DUPLICATE_MSG_ID_IN_PROCESS = 10158;

function isDuplicateInProcess(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === DUPLICATE_MSG_ID_IN_PROCESS;
}

const NO_RESPONDERS_ATTEMPTS = 8;

function isNoResponders(err: unknown): boolean {
  return err instanceof NoStreamResponded;
}

function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
