/** Closed-loop load: `width` callers, each calling again as soon as its last call returns, for `ms`. */
export async function closedLoop(
  width: number,
  ms: number,
  call: (worker: number, i: number) => Promise<unknown>,
): Promise<{ ops: number; perSecond: number; latencies: number[]; errors: number }> {
  const end = performance.now() + ms;
  const latencies: number[] = [];
  let ops = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: width }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const t0 = performance.now();
        try {
          await call(w, i);
          ops++;
          if ((ops & 7) === 0) latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { ops, perSecond: ops / elapsed, latencies, errors };
}

/** Open-loop load at a fixed rate: latency as a client that does not slow down when the server does sees it. */
export async function openLoop(
  ratePerS: number,
  ms: number,
  call: (i: number) => Promise<unknown>,
): Promise<{ latencies: number[]; errors: number; sent: number }> {
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  let errors = 0;
  let sent = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    const due = Math.floor(((performance.now() - start) / 1000) * ratePerS);
    for (; sent < due; sent++) {
      const t0 = performance.now();
      inflight.push(
        call(sent).then(
          () => void latencies.push(performance.now() - t0),
          () => void errors++,
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  return { latencies, errors, sent };
}
