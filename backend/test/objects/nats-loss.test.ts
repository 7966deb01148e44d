import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, startNats } from '@resident/testing';
import { ErrorCode, ObjectRuntime, ResidentError } from '../../src/objects/index.ts';
import { connectNats } from '../../src/objects/internal.ts';
import { ALL, Counter } from '../../testing/fixtures.ts';
import { quietLog, TEST_MEMBERSHIP_KEY, waitFor } from '../../testing/support.ts';

let nats: NatsCluster | undefined;
const conns: NatsConnection[] = [];
const runtimes: ObjectRuntime[] = [];
after(async () => {
  for (const rt of runtimes) await rt.stop({ drain: false }).catch(() => undefined);
  for (const nc of conns) await nc.close().catch(() => undefined);
  await nats?.close();
});

async function member(role: 'host' | 'client', nodeId: string): Promise<ObjectRuntime> {
  const nc = await connectNats(nats!.urls, nodeId);
  conns.push(nc);
  const rt = await ObjectRuntime.start({
    classes: ALL,
    nodeId,
    role,
    nats: { connection: nc, cluster: 'loss', membershipKey: TEST_MEMBERSHIP_KEY },
    log: quietLog(),
  });
  runtimes.push(rt);
  return rt;
}

test('calls fail fast with a retryable error while NATS is down, and service resumes after it returns', async () => {
  nats = await startNats();
  await member('host', 'h1');
  const client = await member('client', 'c1');
  const c = client.get(Counter, 'k', { timeoutMs: 5000 });
  assert.equal(await c.add(1), 1);
  await nats.servers[0]!.stop();
  // A call made before the client has noticed the outage waits within its deadline (short here); once it has
  // noticed, calls fail at once with a retryable error.
  const probe = client.get(Counter, 'k', { timeoutMs: 500 });
  await waitFor(
    async () => {
      const started = performance.now();
      const err = await probe.add(1).then(
        () => undefined,
        (e: unknown) => e as ResidentError,
      );
      return (
        err instanceof ResidentError &&
        err.code === ErrorCode.Unavailable &&
        err.retryable &&
        performance.now() - started < 100
      );
    },
    10_000,
    'a fast Unavailable error',
  );
  await nats.servers[0]!.restart();
  await waitFor(
    async () =>
      await c.add(1).then(
        () => true,
        () => false,
      ),
    15_000,
    'calls to succeed again',
  );
  const n = await c.get();
  assert.ok(n >= 2, `state kept across the outage (n=${n})`);
});
