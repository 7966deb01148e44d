// process_open_fds, counted off the event loop and at most every few seconds. prom-client's own gauge reads
// /proc/self/fd synchronously on every scrape: with 10,000 sockets that blocked the loop ~18 ms per scrape, half of
// an idle node's CPU under a once-a-second scrape, and it grows with every user.

import { readdir } from 'node:fs/promises';
import { Gauge, type Registry } from 'prom-client';

const NAME = 'process_open_fds';
const FD_DIR = '/proc/self/fd';

/** Replaces the default gauge (registered by collectDefaultMetrics) on Linux, where it exists. */
export function registerOpenFds(registry: Registry, maxAgeMs = 10_000): void {
  if (!registry.getSingleMetric(NAME)) return;
  registry.removeSingleMetric(NAME);
  let countedAt = Number.NEGATIVE_INFINITY;
  let counting: Promise<void> | undefined;
  const gauge = new Gauge({
    name: NAME,
    help: `Number of open file descriptors (counted at most every ${maxAgeMs / 1000} s)`,
    registers: [registry],
    async collect() {
      if (counting || Date.now() - countedAt < maxAgeMs) return;
      const first = countedAt === Number.NEGATIVE_INFINITY;
      countedAt = Date.now();
      counting = count(gauge).finally(() => {
        counting = undefined;
      });
      // The first scrape waits for a count; later ones answer with the last and refresh it behind.
      if (first) await counting;
    },
  });
}

async function count(gauge: Gauge): Promise<void> {
  try {
    // Less the descriptor readdir itself had open.
    gauge.set((await readdir(FD_DIR)).length - 1);
  } catch {
    // No /proc here: the gauge keeps its last value.
  }
}
