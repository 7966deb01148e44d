// The dispatcher's held calls, with placement and catalog doubles so a shard's status can change without an event.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import {
  type Catalog,
  ClassRegistry,
  Dispatcher,
  type ObjectTurn,
  type Placement,
  type ResidentError,
  RuntimeMetrics,
  type ShardStatus,
} from '../../src/objects/internal.ts';
import { Counter } from '../../testing/fixtures.ts';

function setup(holdBound = 10) {
  let status: ShardStatus = 'hold';
  const delivered: string[] = [];
  const placement = { status: () => status } as unknown as Placement;
  const catalog = { deliver: (_e: unknown, key: string) => delivered.push(key) } as unknown as Catalog;
  const registry = new Registry();
  const metrics = new RuntimeMetrics(registry, () => 0);
  const dispatcher = new Dispatcher(placement, catalog, { nodeId: 'n1', shards: 1, holdBound }, metrics);
  const entry = new ClassRegistry([Counter]).ofClass(Counter);
  const settled: (ResidentError | undefined)[] = [];
  const turn = (deadline: number): ObjectTurn => ({
    deadline,
    chain: 'c1',
    run: () => undefined,
    settle: (err) => settled.push(err),
  });
  return {
    delivered,
    settled,
    setStatus: (s: ShardStatus) => (status = s),
    call: (key: string, deadline = 0) => dispatcher.dispatch(entry, key, turn(deadline)),
    dispatcher,
    metrics: () => registry.metrics(),
  };
}

test('a held call runs once its shard is owned again, with no settle event (a lease that came back)', () => {
  const t = setup();
  t.call('a');
  t.dispatcher.recheckHeld(Date.now());
  assert.deepEqual(t.delivered, [], 'still held while the shard is held');
  t.setStatus('owned');
  t.dispatcher.recheckHeld(Date.now());
  assert.deepEqual(t.delivered, ['a']);
});

test('a held call whose deadline passed is answered with a timeout, counted, and frees its place', async () => {
  const t = setup(1);
  const now = Date.now();
  t.call('late', now + 100);
  t.dispatcher.recheckHeld(now + 50);
  assert.equal(t.settled.length, 0, 'not yet due');
  t.dispatcher.recheckHeld(now + 200);
  assert.equal(t.settled.length, 1);
  assert.equal(t.settled[0]?.code, 'Timeout');
  assert.match(t.settled[0]?.message ?? '', /expired waiting for shard 0/);
  assert.match(await t.metrics(), /resident_calls_dropped_total\{reason="hold_expired"\} 1/);
  t.call('next'); // the hold bound is 1: this is held, not refused, since the expired call left
  assert.equal(t.settled.length, 1);
  t.setStatus('owned');
  t.dispatcher.recheckHeld(now + 300);
  assert.deepEqual(t.delivered, ['next']);
});
