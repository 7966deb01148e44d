import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ErrorCode, ObjectRuntime, type RuntimeOptions } from '../../src/objects/index.ts';
import { internals, MemoryStateStore } from '../../src/objects/internal.ts';
import { ALL, Alarm, Counter, Echo, Hop, Ticker, Turnstile } from '../../testing/fixtures.ts';
import { quietLog, rejection, waitFor } from '../../testing/support.ts';

const runtimes: ObjectRuntime[] = [];
after(async () => {
  for (const rt of runtimes) await rt.stop({ drain: false });
});

async function embedded(opts: Partial<RuntimeOptions> = {}): Promise<ObjectRuntime> {
  const rt = await ObjectRuntime.start({ classes: ALL, log: quietLog(), ...opts });
  runtimes.push(rt);
  return rt;
}

describe('embedded runtime: programming model', () => {
  test('first call activates; state survives idle deactivation through the store', async () => {
    const store = new MemoryStateStore();
    const rt = await embedded({ store, idleMs: 100 });
    const c = rt.get(Counter, 'a');
    assert.equal(await c.add(2), 2);
    assert.equal(await c.add(3), 5);
    assert.equal(rt.activeObjects, 1);
    await waitFor(() => rt.activeObjects === 0, 5000, 'idle deactivation');
    const snap = await c.snapshot();
    assert.equal(snap.n, 5);
    assert.equal(snap.activations, 2, 'onActivate ran on each activation');
    assert.equal(snap.deactivations, 1, 'onDeactivate ran and its change was stored');
  });

  test('idle deactivation reaches every activation when a sweep pass is spread over several ticks', async () => {
    // idleMs 2 s: the sweep ticks every second and visits about half of the activations per tick.
    const rt = await embedded({ idleMs: 2000 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => rt.get(Counter, `s${i}`).add(1)));
    assert.equal(rt.activeObjects, 300);
    await new Promise((r) => setTimeout(r, 1100));
    // Activated while a pass is under way: the pass (or the next) still finds them.
    await Promise.all(Array.from({ length: 100 }, (_, i) => rt.get(Counter, `late${i}`).add(1)));
    await waitFor(() => rt.activeObjects === 0, 15_000, 'every activation closed when idle');
  });

  test('one call at a time per activation', async () => {
    const rt = await embedded();
    const t = rt.get(Turnstile, 'one');
    const results = await Promise.all(Array.from({ length: 20 }, () => t.enter(2)));
    assert.equal(Math.max(...results), 1);
    assert.deepEqual(await t.stats(), { inside: 0, maxInside: 1, done: 20 });
  });

  test('reentrant call chains complete: A→B→A and A→B→C→A', async () => {
    const rt = await embedded({ callTimeoutMs: 2000 });
    assert.deepEqual(await rt.get(Hop, 'A').ring(['B'], 'A'), ['A', 'B', 'A:touched']);
    assert.deepEqual(await rt.get(Hop, 'A').ring(['B', 'C'], 'A'), ['A', 'B', 'C', 'A:touched']);
  });

  test('a call that exceeds its deadline fails with Timeout naming the chain', async () => {
    const rt = await embedded();
    const err = await rejection(rt.get(Turnstile, 'stuck', { timeoutMs: 150 }).hang());
    assert.equal(err.code, ErrorCode.Timeout);
    assert.match(err.message, /Turnstile\/stuck\.hang timed out after 150 ms \(chain [^)]+\)/);
    assert.ok(err.chain);
  });

  test('a full mailbox rejects with a retryable Overloaded error', async () => {
    const rt = await embedded({ mailboxBound: 5 });
    const t = rt.get(Turnstile, 'busy');
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, () => t.enter(5)));
    const rejected = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
    assert.ok(rejected.length > 0, 'some calls were rejected');
    for (const e of rejected) {
      assert.equal(e.code, ErrorCode.Overloaded);
      assert.equal(e.retryable, true);
    }
    assert.equal((await t.stats()).done, 30 - rejected.length);
  });

  test('volatile timers run as turns and stop with the activation', async () => {
    const rt = await embedded({ idleMs: 300 });
    const t = rt.get(Ticker, 't');
    await t.start(20);
    await waitFor(async () => (await t.ticks()) >= 3, 3000, 'timer ticks');
    await waitFor(() => rt.activeObjects === 0, 5000, 'idle deactivation despite the timer');
    const firedAtClose = Ticker.fired.get('t');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(Ticker.fired.get('t'), firedAtClose, 'the timer died with its activation');
  });

  test('durable reminders fire, activating the object', async () => {
    const rt = await embedded({ idleMs: 100 });
    const a = rt.get(Alarm, 'wake');
    await a.arm('once', 300);
    await waitFor(() => rt.activeObjects === 0, 5000, 'deactivation before the reminder');
    await waitFor(async () => (await a.fired()).includes('once'), 5000, 'reminder fired');
    assert.deepEqual(await a.fired(), ['once'], 'a one-shot reminder fires once');
  });

  test('arguments and results are copied', async () => {
    const rt = await embedded();
    const e = rt.get(Echo, 'copy');
    const arg = { list: [1, 2] };
    const p = e.keep(arg);
    arg.list.push(3);
    const result = (await p) as { list: number[] };
    assert.deepEqual(result, { list: [1, 2] });
    result.list.push(99);
    assert.deepEqual(await e.last(), { list: [1, 2] });
  });

  test('volatile objects are never written to the store', async () => {
    const store = new MemoryStateStore();
    const rt = await embedded({ store });
    await rt.get(Echo, 'v').keep('x');
    assert.equal(await store.load('Echo/v'), undefined);
    await rt.get(Counter, 'd').add(1);
    assert.ok(await store.load('Counter/d'));
  });

  test('an application error reaches the caller with its message', async () => {
    const rt = await embedded();
    const err = await rejection(rt.get(Counter, 'err').fail('boom'));
    assert.equal(err.code, ErrorCode.Application);
    assert.match(err.message, /boom/);
  });
});

describe('embedded runtime: durability', () => {
  test('replies wait for the commit, and concurrent calls share commits', async () => {
    const store = new SlowStore(30);
    const rt = await embedded({ store });
    const c = rt.get(Counter, 'group');
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: 100 }, () => c.add(1)));
    assert.ok(performance.now() - t0 >= 30, 'no reply before the first commit was stored');
    assert.deepEqual(
      [...results].sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    assert.ok(store.saves <= 5, `100 calls took ${store.saves} commits; expected grouping`);
    const stored = await store.load('Counter/group');
    assert.ok(stored);
  });

  test('a failed commit fails the call and the change is not kept', async () => {
    const store = new SlowStore(0);
    // Deadlines as in production: at 300 ms, a machine at load 25 timed out the first call (nothing here waits on one).
    const rt = await embedded({ store, callTimeoutMs: 5000 });
    const c = rt.get(Counter, 'fragile');
    assert.equal(await c.add(1), 1);
    store.failing = true;
    const err = await rejection(c.add(10));
    assert.equal(err.code, ErrorCode.CommitFailed);
    store.failing = false;
    assert.equal(await c.get(), 1, 'the unstored change was dropped with the activation');
  });
});

describe('embedded runtime: bad input', () => {
  test('unknown class and unknown or private method fail clearly', async () => {
    const rt = await embedded();
    class Stranger extends Counter {}
    assert.throws(() => rt.get(Stranger, 'x'), /Stranger is not a registered object class/);
    const c = rt.get(Counter, 'x') as unknown as Record<string, unknown>;
    assert.equal(c.nope, undefined, 'references only carry exposed methods');
    const impl = internals(rt);
    const err = await rejection(
      impl.outbound.invoke(impl.registry.named('Counter'), 'x', '_secret', [], undefined, 1000),
    );
    assert.equal(err.code, ErrorCode.UnknownMethod);
    assert.match(err.message, /Counter has no callable method "_secret"/);
    assert.throws(() => impl.registry.named('Nope'), /no object class named "Nope"/);
  });

  test('unserialisable arguments are rejected before anything runs', async () => {
    const rt = await embedded();
    const e = rt.get(Echo, 'ser');
    for (const bad of [() => 1, Symbol('s'), new Map(), { nested: { fn: () => 2 } }]) {
      const err = await rejection(e.keep(bad));
      assert.equal(err.code, ErrorCode.Serialization);
    }
    assert.equal(await e.last(), null, 'no call ran');
  });
});

/** A real memory store behind a delay, with a switch to make writes fail. */
class SlowStore extends MemoryStateStore {
  saves = 0;
  failing = false;
  constructor(private readonly delayMs: number) {
    super();
  }
  override async save(id: string, value: Uint8Array, expected: number | undefined): Promise<number> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failing) throw new Error('disk on fire');
    this.saves++;
    return super.save(id, value, expected);
  }
}
