// An embedded (single-node, LMDB) runtime as its own process: adds to a counter, prints the value, exits.
import pino from 'pino';
import { ObjectRuntime } from '../src/objects/index.ts';
import { LmdbStateStore } from '../src/objects/internal.ts';
import { ALL, Counter } from './fixtures.ts';

const [dir, key, by] = process.argv.slice(2);
const store = await LmdbStateStore.open(dir!);
const runtime = await ObjectRuntime.start({ classes: ALL, store, log: pino({ level: 'warn' }) });
const value = await runtime.get(Counter, key!).add(Number(by));
await runtime.stop();
await store.close();
process.stdout.write(`${value}\n`);
