// An object's context comes from the runtime that activates it: its node id, a clock, and a logger tagged with it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { z } from 'zod';
import { ObjectRuntime, Resident } from '../../src/objects/index.ts';

class Where extends Resident<{ logged: number }> {
  static readonly expose = { where: z.tuple([]) };
  static initial() {
    return { logged: 0 };
  }
  where(): { node: string; now: number } {
    this.context.log.info('where');
    return { node: this.context.nodeId, now: this.context.clock.now() };
  }
}

const lines: Record<string, unknown>[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
const runtime = await ObjectRuntime.start({ classes: [Where], nodeId: 'ctx-node', log });
after(() => runtime.stop({ drain: false }));

test('an object reads its node id, the clock and its logger from this.context, not from a global', async () => {
  const before = Date.now();
  const { node, now } = await runtime.get(Where, 'w1').where();
  assert.equal(node, 'ctx-node');
  assert.ok(now >= before && now <= Date.now());
  const line = lines.find((l) => l.msg === 'where');
  assert.equal(line?.object, 'Where/w1', 'the log line names the object');
});

test('context is a reserved name: a class cannot expose it', async () => {
  class Exposing extends Resident {
    static readonly expose = { context: z.tuple([]) };
    static initial() {
      return {};
    }
  }
  await assert.rejects(ObjectRuntime.start({ classes: [Exposing], log: pino({ level: 'silent' }) }), /reserved name/);
});
