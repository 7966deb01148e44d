import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { registerOpenFds } from '../src/node/open-fds.ts';

const skip = existsSync('/proc/self/fd')
  ? false
  : 'no /proc/self/fd on this platform: process_open_fds is not exported';

function registry(maxAgeMs: number): Registry {
  const r = new Registry();
  collectDefaultMetrics({ register: r });
  registerOpenFds(r, maxAgeMs);
  return r;
}

async function openFds(r: Registry): Promise<number> {
  const metric = await r.getSingleMetric('process_open_fds')!.get();
  return metric.values[0]!.value;
}

function openMany(n: number): number[] {
  return Array.from({ length: n }, () => openSync('/dev/null', 'r'));
}

test('the first scrape counts the open descriptors', { skip }, async () => {
  const n = await openFds(registry(60_000));
  const now = readdirSync('/proc/self/fd').length - 1;
  assert.ok(Math.abs(n - now) <= 4, `counted ${n}, /proc/self/fd has ${now}`);
});

test('later scrapes answer with the last count and refresh it behind, at most every maxAgeMs', { skip }, async () => {
  const cached = registry(60_000);
  const fresh = registry(0);
  const before = await openFds(cached);
  await openFds(fresh);
  const fds = openMany(200);
  try {
    assert.equal(await openFds(cached), before, 'within maxAgeMs the count is not taken again');
    let seen = await openFds(fresh);
    for (let i = 0; i < 100 && seen < before + 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      seen = await openFds(fresh);
    }
    assert.ok(seen >= before + 200, `a refresh saw the 200 new descriptors (${before} → ${seen})`);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
});
