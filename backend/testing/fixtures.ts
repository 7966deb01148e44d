import { z } from 'zod';
import { Resident, type ResidentClass } from '../src/objects/index.ts';

/** Test payloads: any plain data (the runtime's own copy checks still apply). */
const data = z.unknown();

export class Counter extends Resident<{ n: number; activations: number; deactivations: number }> {
  static readonly expose = {
    add: z.tuple([z.number()]),
    get: z.tuple([]),
    snapshot: z.tuple([]),
    fail: z.tuple([z.string()]),
    addSlowly: z.tuple([z.number(), z.number().min(0)]),
  };
  static initial() {
    return { n: 0, activations: 0, deactivations: 0 };
  }
  override onActivate() {
    this.state.activations++;
  }
  override onDeactivate() {
    this.state.deactivations++;
  }
  add(by: number) {
    return this.bump(by);
  }
  get() {
    return this.state.n;
  }
  snapshot() {
    return this.state;
  }
  /** Adds after `ms`: a call that is still running when its node is killed has changed nothing. */
  async addSlowly(by: number, ms: number) {
    await new Promise((r) => setTimeout(r, ms));
    return this.bump(by);
  }
  async fail(message: string) {
    this.state.n += 1000;
    throw new Error(message);
  }
  _secret() {
    return 'never callable';
  }
  /** TypeScript-private and not in `expose`: callable from nowhere but this class. */
  private bump(by: number) {
    this.state.n += by;
    return this.state.n;
  }
}

/** Records overlapping turns, to prove one call runs at a time. */
export class Turnstile extends Resident<{ inside: number; maxInside: number; done: number }> {
  static override durable = false;
  static readonly expose = { enter: z.tuple([z.number().min(0)]), stats: z.tuple([]), hang: z.tuple([]) };
  static initial() {
    return { inside: 0, maxInside: 0, done: 0 };
  }
  async enter(ms: number) {
    this.state.inside++;
    this.state.maxInside = Math.max(this.state.maxInside, this.state.inside);
    await new Promise((r) => setTimeout(r, ms));
    this.state.inside--;
    this.state.done++;
    return this.state.maxInside;
  }
  stats() {
    return this.state;
  }
  hang() {
    return new Promise(() => {});
  }
}

/** A→B→A and A→B→C→A: each hop calls the next; the last calls back into the first. */
export class Hop extends Resident<{ visits: number }> {
  static override durable = false;
  static readonly expose = { ring: z.tuple([z.array(z.string()), z.string()]), touch: z.tuple([]) };
  static initial() {
    return { visits: 0 };
  }
  async ring(path: string[], origin: string): Promise<string[]> {
    this.state.visits++;
    if (path.length === 0) return [this.key, ...(await this.objects.get(Hop, origin).touch())];
    const [next, ...rest] = path;
    return [this.key, ...(await this.objects.get(Hop, next!).ring(rest, origin))];
  }
  touch() {
    this.state.visits++;
    return [`${this.key}:touched`];
  }
}

export class Ticker extends Resident<{ ticks: number; reminders: string[] }> {
  static override durable = false;
  static readonly expose = { start: z.tuple([z.number().min(0)]), ticks: z.tuple([]) };
  static initial() {
    return { ticks: 0, reminders: [] };
  }
  /** Ticks by key, outside the object, so a test can see whether a timer still runs after deactivation. */
  static readonly fired = new Map<string, number>();
  start(ms: number) {
    this.setTimer(
      () => {
        this.state.ticks++;
        Ticker.fired.set(this.key, (Ticker.fired.get(this.key) ?? 0) + 1);
      },
      ms,
      { repeat: true },
    );
  }
  ticks() {
    return this.state.ticks;
  }
}

export class Alarm extends Resident<{ fired: string[]; firedOn: string[] }> {
  static readonly expose = {
    arm: z.tuple([z.string(), z.number().min(0), z.number().min(0).optional()]),
    disarm: z.tuple([z.string()]),
    fired: z.tuple([]),
    firedOn: z.tuple([]),
  };
  static initial() {
    return { fired: [], firedOn: [] };
  }
  async arm(name: string, dueMs: number, periodMs = 0) {
    await this.setReminder(name, { dueMs, periodMs });
  }
  async disarm(name: string) {
    await this.clearReminder(name);
  }
  override onReminder(name: string) {
    this.state.fired.push(name);
    this.state.firedOn.push(process.env.RESIDENT_NODE_ID ?? 'local');
  }
  fired() {
    return this.state.fired;
  }
  firedOn() {
    return this.state.firedOn;
  }
}

export class Echo extends Resident<{ last: unknown }> {
  static override durable = false;
  static readonly expose = {
    keep: z.tuple([data]),
    last: z.tuple([]),
    ping: z.tuple([z.number()]),
    big: z.tuple([z.int().min(0)]),
    where: z.tuple([]),
  };
  static initial() {
    return { last: null };
  }
  keep(value: unknown) {
    this.state.last = value;
    return this.state.last;
  }
  last() {
    return this.state.last;
  }
  ping(x: number) {
    return x;
  }
  big(bytes: number) {
    return 'x'.repeat(bytes);
  }
  where() {
    return process.env.RESIDENT_NODE_ID ?? 'local';
  }
}

export const ALL = [Counter, Turnstile, Hop, Ticker, Alarm, Echo];

/**
 * A caller-side stand-in for the class named `typeName`: it "exposes" whatever it is asked to, with any arguments,
 * as a peer running another version of the class would, or anyone who writes call frames. Registered on a caller
 * only; the receiving node's own class decides what runs.
 */
export function probe(typeName: string, methods: readonly string[]): ResidentClass {
  const cls = class extends Resident {
    static readonly typeName = typeName;
    static readonly expose = Object.fromEntries(methods.map((m) => [m, z.tuple([z.unknown()], z.unknown())]));
    static initial() {
      return {};
    }
  };
  for (const m of methods) Object.defineProperty(cls.prototype, m, { value() {} });
  return cls;
}
