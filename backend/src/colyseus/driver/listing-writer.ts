import { setTimeout as sleep } from 'node:timers/promises';
import type { IRoomCache } from '@colyseus/core';
import type { CasBucket } from '../../objects/internal.ts';
import { decodeListing, normalizeListing } from './listing-codec.ts';
import type { ListingReplica } from './listing-replica.ts';

/**
 * One driver operation on one listing, as a pure function of the stored listing (undefined: none). It must not modify
 * `current`; returning it unchanged means "no write". `result` is what the operation resolves to.
 */
export type Mutation = (current: IRoomCache | undefined) => Outcome;

export interface Outcome {
  readonly next: IRoomCache | undefined;
  readonly result: boolean;
}

interface Waiting {
  readonly mutation: Mutation;
  resolve(result: boolean): void;
  reject(err: unknown): void;
}

/** What the bucket holds under a key: a revision with a listing, or with something else (room undefined). */
type Base = { readonly revision: number; readonly room: IRoomCache | undefined } | undefined;

/** Generous: only writers on other nodes conflict, since this node's own writes to a key go one batch at a time. */
const MAX_ATTEMPTS = 64;

/**
 * Writes listings with compare-and-set on their revision, so concurrent writers on different nodes never lose each
 * other's changes (two `$inc` both count). Per key, this node sends one write at a time: operations arriving while
 * one is in flight are applied together in the next, so a busy room costs one round trip per batch, not per call.
 * Operations on a key apply in the order they were issued, and the replica shows their outcome from the call on.
 */
export class ListingWriter {
  private readonly queues = new Map<string, Waiting[]>();
  private readonly drains = new Set<Promise<void>>();

  constructor(
    private readonly bucket: CasBucket,
    private readonly replica: ListingReplica,
  ) {}

  write(key: string, mutation: Mutation): Promise<boolean> {
    // Reads see it at once, applied after everything issued before it (which reads already show).
    this.replica.expect(key, mutation(this.replica.get(key)).next);
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue) {
        queue.push({ mutation, resolve, reject });
        return;
      }
      this.queues.set(key, [{ mutation, resolve, reject }]);
      // Started a microtask later, so the calls of one synchronous burst share the first write too; tracked at once,
      // so idle() waits for it.
      this.track(Promise.resolve().then(() => this.drain(key)));
    });
  }

  /** Resolves when every write asked for so far has settled. */
  async idle(): Promise<void> {
    while (this.drains.size > 0) await Promise.allSettled([...this.drains]);
  }

  private track(drain: Promise<void>): void {
    this.drains.add(drain);
    void drain.finally(() => this.drains.delete(drain));
  }

  private async drain(key: string): Promise<void> {
    for (;;) {
      const batch = this.queues.get(key)?.splice(0) ?? [];
      if (batch.length === 0) {
        this.queues.delete(key);
        // What is stored now is the outcome of them all, and other nodes' writes since.
        this.replica.settled(key);
        return;
      }
      try {
        const mutations = batch.map((w) => w.mutation);
        const results = await this.commit(key, mutations);
        for (const [i, w] of batch.entries()) w.resolve(results[i] ?? false);
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
  }

  /**
   * Starts from the replica (no round trip when it is current); a conflict, or an outcome that writes nothing, is
   * checked against the bucket itself, so no answer rests on a replica that is behind.
   */
  private async commit(key: string, mutations: readonly Mutation[]): Promise<boolean[]> {
    let base: Base = this.replica.held(key);
    let verified = false;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { next, results } = run(mutations, base?.room);
      if (next === base?.room) {
        if (verified) return results;
      } else if (await this.store(key, base, next)) {
        return results;
      } else if (attempt > 2) {
        // Several nodes keep writing this key: spread the retries out.
        await sleep(Math.random() * Math.min(100, 2 ** attempt));
      }
      base = await this.fetch(key);
      verified = true;
    }
    throw new Error(`room listing ${key}: still conflicting after ${MAX_ATTEMPTS} attempts`);
  }

  /** One compare-and-set on the base revision; false when another writer got there first. */
  private async store(key: string, base: Base, next: IRoomCache | undefined): Promise<boolean> {
    if (next === undefined) {
      // Only a listing can become undefined (see commit), so base is set.
      const revision = base?.revision ?? 0;
      const removed = await this.bucket.remove(key, revision);
      if (removed) this.replica.removed(key, revision);
      return removed;
    }
    const { data, room } = normalizeListing(next);
    const revision = base ? await this.bucket.update(key, data, base.revision) : await this.bucket.create(key, data);
    if (revision === undefined) return false;
    this.replica.wrote(key, revision, room);
    return true;
  }

  private async fetch(key: string): Promise<Base> {
    const entry = await this.bucket.kv.get(key);
    // A delete marker is no base: create() replaces it.
    if (entry === null || entry.operation !== 'PUT') return undefined;
    const decoded = decodeListing(key, entry.value);
    return { revision: entry.revision, room: 'room' in decoded ? decoded.room : undefined };
  }
}

function run(mutations: readonly Mutation[], start: IRoomCache | undefined) {
  let next = start;
  const results: boolean[] = [];
  for (const mutation of mutations) {
    const outcome = mutation(next);
    next = outcome.next;
    results.push(outcome.result);
  }
  return { next, results };
}
