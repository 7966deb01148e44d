import assert from 'node:assert/strict';
import pino, { type Logger } from 'pino';
import { type AnyResident, type ObjectRuntime, type ResidentClass, ResidentError } from '../src/objects/index.ts';
import { internals } from '../src/objects/internal.ts';

export { freePort } from '@resident/testing';

/** The membership key of test clusters whose runtimes run without a backend node (which derives its own). */
export const TEST_MEMBERSHIP_KEY: Uint8Array = new Uint8Array(
  Buffer.from('resident test membership key, 32+ bytes long'),
);

export function quietLog(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** The ResidentError a call failed with (the test fails if it succeeded or threw anything else). */
export async function rejection(p: Promise<unknown>): Promise<ResidentError> {
  const err = await p.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ResidentError, `expected a ResidentError, got ${String(err)}`);
  return err;
}

/** Calls `method` by name, as a call frame names it: what a typed reference cannot express. */
export function callByName(rt: ObjectRuntime, cls: ResidentClass, key: string, method: string, ...args: unknown[]) {
  const impl = internals(rt);
  return impl.outbound.invoke(impl.registry.ofClass(cls), key, method, args, undefined, 10_000);
}

/** `resident_inbox_garbage_total` of one kind in a node's Prometheus text: malformed input it dropped. */
export function droppedIn(metricsText: string, kind: string): number {
  const line = metricsText.split('\n').find((l) => l.startsWith(`resident_inbox_garbage_total{kind="${kind}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Polls until the condition holds, failing with a message that says what never happened. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs fn over items with at most `width` in flight. */
export async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** The first `count` keys `<prefix><n>` whose objects of `cls` the given node owns, as `client`'s placement sees it. */
export function keysOn<T extends AnyResident>(
  client: ObjectRuntime,
  cls: ResidentClass<T>,
  node: string,
  count: number,
  prefix: string,
): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++)
    if (client.locate(cls, `${prefix}${i}`) === node) keys.push(`${prefix}${i}`);
  return keys;
}

/** A one-shot signal a test fires to let a held step go on (Node 20 has no Promise.withResolvers). */
export function signal(): { fired: Promise<void>; fire: () => void } {
  let fire = () => {};
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fired, fire };
}
