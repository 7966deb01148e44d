import type { Logger } from 'pino';
import type { ReminderHost, ReminderOwner } from '../catalog/host.ts';
import { ErrorCode, ResidentError } from '../errors.ts';
import { packValue, unpackValue } from '../messaging/payload.ts';
import type { Placement } from '../placement/placement.ts';
import { type Revision, RevisionConflict, type StateStore } from '../storage/state-store.ts';

interface Reminder {
  /** Epoch ms of the next firing. */
  due: number;
  /** 0 for one-shot. */
  period: number;
}

/** objectId → reminder name → reminder. One record per shard, so the shard's owner finds them all in one read. */
type ShardRecord = Record<string, Record<string, Reminder>>;

interface Loaded {
  record: ShardRecord;
  revision: Revision | undefined;
  /** Serialises writes to this shard's record. */
  queue: Promise<unknown>;
}

export interface ReminderFirer {
  fireReminder(objectId: string, name: string): Promise<void>;
}

const TICK_MS = 200;
export const MIN_PERIOD_MS = 1000;

/**
 * Durable reminders, stored per shard in the state store with the same revision checks as object state, so only the
 * shard's current owner can change them. The owner fires them (activating the object if needed); after a failover the
 * new owner loads the record and fires what is due, at least once.
 */
export class Reminders implements ReminderHost {
  private readonly shards = new Map<number, Loaded>();
  private readonly loading = new Set<number>();
  private readonly firing = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: StateStore,
    private readonly placement: Placement,
    private readonly firer: ReminderFirer,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  async set(owner: ReminderOwner, name: string, dueMs: number, periodMs: number): Promise<void> {
    if (!(dueMs >= 0) || !Number.isFinite(dueMs))
      throw new RangeError(`reminder dueMs must be a finite number ≥ 0, got ${dueMs}`);
    if (periodMs !== 0 && !(periodMs >= MIN_PERIOD_MS))
      throw new RangeError(`reminder periodMs must be 0 or ≥ ${MIN_PERIOD_MS}`);
    const reminder = { due: Date.now() + dueMs, period: periodMs };
    await this.mutate(owner.shard, (record) => {
      record[owner.id] = { ...record[owner.id], [name]: reminder };
    });
  }

  async clear(owner: ReminderOwner, name: string): Promise<void> {
    await this.mutate(owner.shard, (record) => removeReminder(record, owner.id, name));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async mutate(shard: number, change: (record: ShardRecord) => void): Promise<void> {
    const loaded = await this.load(shard);
    const write = loaded.queue.then(() => this.write(shard, loaded, change));
    loaded.queue = write.catch(() => undefined);
    await write;
  }

  private async write(shard: number, loaded: Loaded, change: (record: ShardRecord) => void): Promise<void> {
    const next = structuredClone(loaded.record);
    change(next);
    try {
      loaded.revision = await this.store.save(recordId(shard), packValue(next), loaded.revision);
      loaded.record = next;
    } catch (err) {
      if (err instanceof RevisionConflict) this.shards.delete(shard); // someone else owns it now; reload if it comes back
      throw err;
    }
  }

  private async load(shard: number): Promise<Loaded> {
    const known = this.shards.get(shard);
    if (known) return known;
    const stored = await this.store.load(recordId(shard));
    const loaded: Loaded = {
      record: stored ? this.decode(shard, stored.value) : {},
      revision: stored?.revision,
      queue: Promise.resolve(),
    };
    this.shards.set(shard, loaded);
    return loaded;
  }

  /**
   * The record as stored, keeping only well-formed reminders: a corrupted value must not stop (or crash) the firing
   * of the others. What is left out is logged once here and disappears with the record's next write.
   */
  private decode(shard: number, bytes: Uint8Array): ShardRecord {
    let value: unknown;
    try {
      value = unpackValue(bytes);
    } catch (err) {
      this.log.warn({ shard, err: String(err) }, 'reminder record is not msgpack; treated as empty');
      return {};
    }
    const record: ShardRecord = {};
    let dropped = 0;
    for (const [objectId, byName] of Object.entries(isPlainObject(value) ? value : {})) {
      if (!isPlainObject(byName) || !objectId.includes('/')) {
        dropped++;
        continue;
      }
      for (const [name, r] of Object.entries(byName)) {
        if (isReminder(r)) record[objectId] = { ...record[objectId], [name]: r };
        else dropped++;
      }
    }
    if (dropped > 0 || !isPlainObject(value)) this.log.warn({ shard, dropped }, 'malformed reminders left out');
    return record;
  }

  private tick(): void {
    const now = Date.now();
    for (let shard = 0; shard < this.placement.shards; shard++) {
      if (this.placement.status(shard) !== 'owned') {
        this.shards.delete(shard);
        continue;
      }
      const loaded = this.shards.get(shard);
      if (loaded) this.fireDue(shard, loaded, now);
      else if (!this.loading.has(shard)) this.loadInBackground(shard);
    }
  }

  private loadInBackground(shard: number): void {
    this.loading.add(shard);
    this.load(shard)
      .catch((err) => this.log.warn({ shard, err: String(err) }, 'loading reminders failed'))
      .finally(() => this.loading.delete(shard));
  }

  private fireDue(shard: number, loaded: Loaded, now: number): void {
    for (const [objectId, byName] of Object.entries(loaded.record)) {
      for (const [name, r] of Object.entries(byName)) {
        if (r.due <= now) this.fire(shard, objectId, name, r, now);
      }
    }
  }

  private fire(shard: number, objectId: string, name: string, r: Reminder, now: number): void {
    const tag = `${objectId}#${name}`;
    if (this.firing.has(tag)) return;
    this.firing.add(tag);
    // Periodic reminders move on in memory only; after a failover the next owner fires a missed one once.
    if (r.period > 0) r.due += Math.ceil((now - r.due + 1) / r.period) * r.period;
    const forget = () => this.mutate(shard, (rec) => removeReminder(rec, objectId, name));
    Promise.resolve()
      .then(() => this.firer.fireReminder(objectId, name))
      .then(() => (r.period === 0 ? forget() : undefined))
      .catch((err) => {
        // Its class is not hosted here (nor anywhere, if the record is consistent): it can never fire.
        if (err instanceof ResidentError && err.code === ErrorCode.UnknownClass) return forget();
        this.log.warn({ objectId, name, err: String(err) }, 'reminder did not complete; will retry');
      })
      .catch((err) => this.log.warn({ objectId, name, err: String(err) }, 'reminder could not be removed'))
      .finally(() => this.firing.delete(tag));
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function isReminder(r: unknown): r is Reminder {
  if (!isPlainObject(r)) return false;
  const { due, period } = r;
  return Number.isFinite(due) && (period === 0 || (Number.isFinite(period) && (period as number) >= MIN_PERIOD_MS));
}

function recordId(shard: number): string {
  return `__reminders/${shard}`;
}

function removeReminder(record: ShardRecord, objectId: string, name: string): void {
  const byName = record[objectId];
  if (!byName) return;
  delete byName[name];
  if (Object.keys(byName).length === 0) delete record[objectId];
}
