/** Heartbeat counts remembered per incarnation, also after it is gone, so a replayed old entry cannot revive it. */
const REMEMBERED_INCARNATIONS = 4096;

/**
 * The highest count seen per member incarnation on one channel (the members bucket, the core-NATS heartbeats): a
 * signed entry that is not newer than one already seen is a replay. Bounded, least recently seen forgotten first.
 */
export class ReplayGuard {
  /** `id/incarnation` → the highest count seen, in least-recently-seen order. */
  private readonly last = new Map<string, number>();

  /** Whether this is the newest count of its incarnation seen so far; remembers it if so. */
  fresh(id: string, incarnation: string, seq: number): boolean {
    const key = `${id}/${incarnation}`;
    const last = this.last.get(key);
    if (last !== undefined && seq <= last) return false;
    this.last.delete(key);
    this.last.set(key, seq);
    if (this.last.size > REMEMBERED_INCARNATIONS) this.last.delete(this.last.keys().next().value!);
    return true;
  }
}
