// What an object exposes: exactly its `static expose`, refused at registration when it cannot be served, and each
// call's arguments checked by the receiving node, locally and over the wire, before the call is queued.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { ErrorCode, isRetryable, ObjectRuntime, Resident, type ResidentClass } from '../../src/objects/index.ts';
import { internals } from '../../src/objects/internal.ts';
import { ALL, Counter, Echo, probe } from '../../testing/fixtures.ts';
import { type RuntimeCluster, startRuntimeCluster } from '../../testing/runtime-cluster.ts';
import { callByName as call, keysOn, quietLog, rejection } from '../../testing/support.ts';

/** Starts an embedded runtime with these classes (registration runs first, so a refused class throws). */
function start(classes: readonly ResidentClass[]): Promise<ObjectRuntime> {
  return ObjectRuntime.start({ classes, log: quietLog() });
}

describe('exposure: registration refuses what it cannot serve, naming the class and the member', () => {
  const refused = async (cls: ResidentClass, pattern: RegExp) => {
    await assert.rejects(start([cls]), pattern);
  };

  test('an arrow-function property or a field is not a method', async () => {
    class Arrow extends Resident<{ n: number }> {
      static readonly expose = { bump: z.tuple([]) };
      static initial() {
        return { n: 0 };
      }
      bump = () => ++this.state.n;
    }
    await refused(Arrow, /Arrow\.expose lists bump, which is not a method on Arrow's prototype \(an arrow-function/);
    class Field extends Resident {
      static readonly expose = { limit: z.tuple([]) };
      static initial() {
        return {};
      }
      limit = 3;
    }
    await refused(Field, /Field\.expose lists limit, which is not a method/);
    class Getter extends Resident {
      static readonly expose = { size: z.tuple([]) };
      static initial() {
        return {};
      }
      get size() {
        return 1;
      }
    }
    await refused(Getter, /Getter\.expose lists size, which is an accessor/);
  });

  test('reserved names: lifecycle hooks, Resident members, constructor, _ and # names', async () => {
    for (const name of ['onActivate', 'onDeactivate', 'onReminder', 'setTimer', 'clearReminder', 'objects']) {
      class Hooked extends Resident {
        static readonly expose = { [name]: z.tuple([]) };
        static initial() {
          return {};
        }
        override onActivate() {}
      }
      await refused(Hooked, new RegExp(`Hooked\\.expose lists ${name}, a reserved name`));
    }
    for (const name of ['constructor', 'key', 'state', '_helper', '#secret']) {
      class Named extends Resident {
        static readonly expose = { [name]: z.tuple([]) };
        static initial() {
          return {};
        }
        _helper() {}
      }
      await refused(Named, new RegExp(`Named\\.expose lists ${name}, a reserved name`));
    }
  });

  test('a missing or malformed expose list', async () => {
    class Silent extends Resident {
      static initial() {
        return {};
      }
      hello() {}
    }
    await refused(Silent as unknown as ResidentClass, /Silent needs a static expose/);
    const malformed: unknown[] = [['hello'], null, 'hello', new Map([['hello', z.tuple([])]])];
    for (const expose of malformed) {
      class Odd extends Resident {
        static readonly expose = expose as never;
        static initial() {
          return {};
        }
        hello() {}
      }
      await refused(Odd, /Odd needs a static expose/);
    }
    for (const schema of [[z.string()], z.array(z.string()), z.string(), undefined]) {
      class Loose extends Resident {
        static readonly expose = { hello: schema } as never;
        static initial() {
          return {};
        }
        hello() {}
      }
      await refused(Loose, /Loose\.expose\.hello must be z\.tuple/);
    }
    await assert.rejects(start([class NotResident {} as unknown as ResidentClass]), /NotResident must extend Resident/);
  });
});

describe('exposure: on one node', () => {
  let rt: ObjectRuntime;
  before(async () => {
    rt = await start(ALL);
  });
  after(() => rt.stop({ drain: false }));

  test('a private or unlisted method cannot be invoked by name', async () => {
    for (const method of ['bump', '_secret', 'toString', 'constructor', 'onActivate']) {
      const err = await rejection(call(rt, Counter, 'local-private', method, 1000));
      assert.equal(err.code, ErrorCode.UnknownMethod, method);
      assert.match(err.message, new RegExp(`Counter has no callable method "${method}"`));
    }
    assert.equal(await rt.get(Counter, 'local-private').get(), 0, 'nothing ran');
    const ref = rt.get(Counter, 'local-private') as unknown as Record<string, unknown>;
    assert.equal(ref.bump, undefined, 'a reference carries exactly the exposed methods');
  });

  test('bad arguments are refused with BadArguments naming Class.method and the argument, before anything runs', async () => {
    const before = rt.activeObjects;
    for (const args of [['1'], [Number.NaN], [Number.POSITIVE_INFINITY], [], [1, 2]]) {
      const err = await rejection(call(rt, Counter, 'local-bad', 'add', ...args));
      assert.equal(err.code, ErrorCode.BadArguments, JSON.stringify(args));
      assert.equal(isRetryable(err), false);
      assert.match(err.message, /^Counter\.add refused its arguments: args(\[0\])?: /);
    }
    assert.equal(rt.activeObjects, before, 'a refused call activates nothing');
    assert.equal(await rt.get(Counter, 'local-bad').add(2), 2, 'and changed nothing');
    const none = await rejection(call(rt, Echo, 'local-bad', 'where', 'extra'));
    assert.equal(none.code, ErrorCode.BadArguments);
    assert.match(none.message, /Echo\.where refused its arguments: args: 1 given, the method takes none/);
  });

  test('a refused call is not retried: it fails at once even with a long deadline', { timeout: 30_000 }, async () => {
    const { outbound, registry } = internals(rt);
    const err = await rejection(
      outbound.invoke(registry.ofClass(Counter), 'no-retry', 'add', ['x'], undefined, 3_600_000),
    );
    assert.equal(err.code, ErrorCode.BadArguments);
  });

  test('every exposed name is callable through a reference, whatever it is called', async () => {
    class Ledger extends Resident {
      static readonly expose = { entry: z.tuple([]), refs: z.tuple([]), timeoutMs: z.tuple([]), toString: z.tuple([]) };
      static initial() {
        return {};
      }
      entry() {
        return 'entry';
      }
      refs() {
        return 'refs';
      }
      timeoutMs() {
        return 'timeoutMs';
      }
      override toString() {
        return 'toString';
      }
    }
    const own = await start([Ledger]);
    try {
      const ref = own.get(Ledger, 'l');
      assert.deepEqual(await Promise.all([ref.entry(), ref.refs(), ref.timeoutMs(), ref.toString()]), [
        'entry',
        'refs',
        'timeoutMs',
        'toString',
      ]);
    } finally {
      await own.stop({ drain: false });
    }
  });

  test('the method receives the schema output: unknown keys are stripped before it runs', async () => {
    class Keeper extends Resident<{ kept: unknown }> {
      static readonly expose = { keep: z.tuple([z.object({ a: z.int() })]), kept: z.tuple([]) };
      static initial() {
        return { kept: null };
      }
      keep(v: { a: number }) {
        this.state.kept = v;
      }
      kept() {
        return this.state.kept;
      }
    }
    const own = await start([Keeper]);
    try {
      await call(own, Keeper, 'k', 'keep', { a: 1, junk: 'x'.repeat(1000) });
      assert.deepEqual(await own.get(Keeper, 'k').kept(), { a: 1 });
    } finally {
      await own.stop({ drain: false });
    }
  });
});

describe('exposure: over the wire (2-node NATS cluster)', () => {
  let cluster: RuntimeCluster;
  let caller: ObjectRuntime;
  let honest: ObjectRuntime;
  const Loose = probe('Counter', ['bump', 'add', 'get']);
  before(async () => {
    cluster = await startRuntimeCluster({ nodes: 2 });
    caller = await cluster.client({ classes: [Loose] });
    honest = await cluster.client();
  });
  after(() => cluster?.close());

  test('a private helper cannot be invoked from another node', async () => {
    const keys = ['node1', 'node2'].flatMap((node) => keysOn(honest, Counter, node, 2, 'wire-private-'));
    for (const key of keys) {
      const err = await rejection(call(caller, Loose, key, 'bump', 1000));
      assert.equal(err.code, ErrorCode.UnknownMethod);
      assert.match(err.message, /Counter has no callable method "bump"/);
      assert.equal(await honest.get(Counter, key).get(), 0, `${key}: the private method never ran`);
    }
  });

  test('bad arguments are refused by the receiving node and change nothing', async () => {
    for (const key of ['node1', 'node2'].flatMap((node) => keysOn(honest, Counter, node, 2, 'wire-bad-'))) {
      for (const args of [['1'], [null], [{ n: 1 }], [], [1, 2]]) {
        const err = await rejection(call(caller, Loose, key, 'add', ...args));
        assert.equal(err.code, ErrorCode.BadArguments, `${key} ${JSON.stringify(args)}`);
        assert.match(err.message, /^Counter\.add refused its arguments: args/);
      }
      assert.equal(await call(caller, Loose, key, 'add', 5), 5, 'good arguments from the same caller still work');
      assert.equal(await honest.get(Counter, key).get(), 5);
    }
  });
});
