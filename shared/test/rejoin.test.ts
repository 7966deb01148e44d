import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rejoin } from '../net/rejoin.ts';

const policy = { timeoutMs: 300, minDelayMs: 5, maxDelayMs: 20, attemptTimeoutMs: 100 };

test('rejoin tries the endpoints in turn until one answers', async () => {
  const tried: string[] = [];
  const got = await rejoin({ ...policy, endpoints: ['a', 'b', 'c'] }, async (e) => {
    tried.push(e);
    if (e !== 'c') throw new Error(`${e} down`);
    return e;
  });
  assert.equal(got, 'c');
  assert.deepEqual(tried, ['a', 'b', 'c']);
});

test("giving up names every endpoint's last error, not only the last attempt's", async () => {
  const refusal = Object.assign(new Error('seat expired'), { code: 524 });
  const err = await rejoin({ ...policy, endpoints: ['dead', 'live'] }, async (e) => {
    throw e === 'dead' ? new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }) : refusal;
  }).catch((e: Error) => e);
  assert.ok(err instanceof Error);
  assert.match(err.message, /could not re-join within 300 ms \(\d+ attempts\)/);
  assert.match(err.message, /dead: TypeError: fetch failed \(Error: ECONNREFUSED\)/);
  assert.match(err.message, /live: Error: seat expired \[524\]/);
});

test('an error the caller does not retry ends it at once', async () => {
  let calls = 0;
  const err = await rejoin(
    { ...policy, endpoints: ['a', 'b'] },
    async () => {
      calls++;
      throw new Error('no');
    },
    () => false,
  ).catch((e: Error) => e);
  assert.equal((err as Error).message, 'no');
  assert.equal(calls, 1);
});

test('rejoin needs an endpoint', async () => {
  await assert.rejects(
    rejoin({ ...policy, endpoints: [] }, async () => 1),
    /at least one endpoint/,
  );
});
