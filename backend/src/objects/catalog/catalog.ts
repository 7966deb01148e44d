import { ErrorCode, ResidentError } from '../errors.ts';
import { type ClassEntry, checkMethod } from '../registry.ts';
import { Activation } from './activation.ts';
import type { ActivationHost } from './host.ts';
import type { ObjectTurn } from './turn.ts';

/** The activations on this node: created on first call, closed when idle, dropped or handed over with their shard. */
export class Catalog {
  private readonly activations = new Map<string, Activation>();
  private readonly byShard = new Map<number, Set<Activation>>();
  /** The idle sweep's place in its pass, and the deepest mailbox it saw in this pass and the last. */
  private sweep: Iterator<Activation> = this.activations.values();
  private passDepth = 0;
  private lastPassDepth = 0;
  /** Set by closeAll/dropAll (the runtime stops): a call that arrives after must not activate anything. */
  private closed = false;

  constructor(
    private readonly host: ActivationHost,
    private readonly redispatch: (turn: ObjectTurn, entry: ClassEntry, key: string) => void,
  ) {}

  get size(): number {
    return this.activations.size;
  }

  deliver(entry: ClassEntry, key: string, id: string, shard: number, turn: ObjectTurn): void {
    // An activation made now would outlive the runtime: its onActivate timers kept stopped processes alive.
    if (this.closed) return turn.settle(new ResidentError(ErrorCode.Unavailable, `${id}: this node's runtime stopped`));
    let activation = this.activations.get(id);
    if (activation?.status === 'closing') {
      activation.parked ??= [];
      activation.parked.push(turn);
      return;
    }
    if (!admit(entry, turn)) return;
    if (!activation) activation = this.activate(entry, key, id, shard);
    if (activation.mailbox.offer(turn) === 'full') {
      const depth = activation.mailbox.depth;
      turn.settle(new ResidentError(ErrorCode.Overloaded, `${id}: mailbox full (${depth} waiting); retry later`));
    }
  }

  private activate(entry: ClassEntry, key: string, id: string, shard: number): Activation {
    const activation = new Activation(id, shard, entry, key, this.host, (closed) => this.removed(closed));
    this.activations.set(id, activation);
    let set = this.byShard.get(shard);
    if (!set) {
      set = new Set();
      this.byShard.set(shard, set);
    }
    set.add(activation);
    this.host.metrics.activated(entry.name);
    void activation.activate();
    return activation;
  }

  /** Called by an activation once it is fully closed. */
  removed(activation: Activation): void {
    if (this.activations.get(activation.id) === activation) this.activations.delete(activation.id);
    const set = this.byShard.get(activation.shard);
    set?.delete(activation);
    if (set?.size === 0) this.byShard.delete(activation.shard);
    this.host.metrics.deactivated(activation.entry.name);
    for (const turn of activation.parked ?? []) this.redispatch(turn, activation.entry, activation.key);
  }

  /** Ownership is gone: drop without storing (another node may already hold newer state). */
  dropShard(shard: number): number {
    const set = this.byShard.get(shard);
    for (const a of [...(set ?? [])]) void a.close('drop');
    return set?.size ?? 0;
  }

  /** Hand the shard over: finish turns, store, then go. */
  async closeShard(shard: number): Promise<number> {
    const list = [...(this.byShard.get(shard) ?? [])];
    await Promise.all(list.map((a) => a.close('graceful')));
    return list.length;
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.activations.values()].map((a) => a.close('graceful')));
  }

  dropAll(): void {
    this.closed = true;
    for (const a of [...this.activations.values()]) void a.close('drop');
  }

  /**
   * Visits the next `count` activations (a pass over all of them is spread over several calls, so a call costs little
   * however many there are): closes those idle for longer than their class allows, and lets them forget expired call
   * ids.
   */
  sweepIdle(now: number, defaultIdleMs: number, count = this.activations.size): void {
    for (let i = 0; i < count; i++) {
      const next = this.sweep.next();
      if (next.done) {
        this.endPass();
        return;
      }
      const a = next.value;
      a.sweepCalls(now);
      if (a.mailbox.depth > this.passDepth) this.passDepth = a.mailbox.depth;
      const idleMs = a.entry.idleMs ?? defaultIdleMs;
      if (a.status === 'active' && a.mailbox.idle && now - a.lastUsed > idleMs) void a.close('graceful');
    }
  }

  /** The deepest mailbox the sweep saw in its last pass and in the one under way (no pass of its own per scrape). */
  maxMailboxDepth(): number {
    return Math.max(this.lastPassDepth, this.passDepth);
  }

  private endPass(): void {
    this.lastPassDepth = this.passDepth;
    this.passDepth = 0;
    // A Map's iterator sees entries added and removed while it runs; a new one starts the next pass.
    this.sweep = this.activations.values();
  }
}

/**
 * The receiving class checks a caller's arguments once, just before the call is queued (a parked call is checked
 * when it is delivered again), so a refused call never activates an object, takes a mailbox slot, or runs.
 */
function admit(entry: ClassEntry, turn: ObjectTurn): boolean {
  if (turn.method === undefined) return true; // timers and reminders: the object's own turns
  try {
    turn.args = checkMethod(entry, turn.method)(turn.args ?? []);
    return true;
  } catch (err) {
    turn.settle(err as ResidentError);
    return false;
  }
}
