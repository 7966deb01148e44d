// Run with --expose-gc: heap bytes per idle activation, beyond its state, over N objects.
import pino from 'pino';
import { ObjectRuntime } from '../../src/objects/index.ts';
import { ALL, Echo } from '../../testing/fixtures.ts';

const N = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heap(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

// The state alone: what N objects of Echo's state cost held in a plain array.
const s0 = heap();
const states = Array.from({ length: N }, () => ({ last: null as unknown }));
const stateBytes = (heap() - s0) / N;
states.length = 0;

const runtime = await ObjectRuntime.start({ classes: ALL, log: pino({ level: 'warn' }), idleMs: 3_600_000 });
const refs = Array.from({ length: 256 }, (_, i) => i);
await runtime.get(Echo, 'warm').ping(1);
const h0 = heap();
for (let i = 0; i < N; i += refs.length) {
  await Promise.all(refs.map((j) => runtime.get(Echo, `o${i + j}`).ping(j)));
}
const perActivation = (heap() - h0) / (runtime.activeObjects - 1);
process.stdout.write(`${JSON.stringify({ objects: runtime.activeObjects, perActivation, stateBytes })}\n`);
await runtime.stop({ drain: false });
