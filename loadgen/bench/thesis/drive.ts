// The two load models. Open loop: operations start at a fixed rate whatever the stack's pace, and each one's
// latency counts from when it was due, not from when the driver got round to it, so a stall shows in every
// operation it delayed (coordinated omission corrected, as HdrHistogram's expected-interval correction does).
// Closed loop: a fixed number of operations in flight, each started as the previous one ends: the throughput the
// stack sustains at that concurrency.
import { setTimeout as sleep } from 'node:timers/promises';
import { Histogram } from '../../src/metrics/histogram.ts';
import type { StackClient } from './stacks/stack.ts';
import type { Op } from './workload.ts';

export interface PhaseResult {
  /** Operations completed within the phase. */
  ops: number;
  errors: number;
  /** A few error messages, for the output. */
  errorSamples: string[];
  seconds: number;
  latency: Histogram;
  /** The open loop stopped early: the stack fell too far behind the offered rate. */
  saturated: boolean;
}

/** Past this many operations in flight the stack is not keeping up: the open-loop step stops early. */
const MAX_IN_FLIGHT = 20_000;

class Tally {
  readonly latency = new Histogram();
  ops = 0;
  errors = 0;
  readonly errorSamples: string[] = [];

  done(startedAt: number): void {
    this.latency.record(performance.now() - startedAt);
    this.ops += 1;
  }

  failed(err: unknown): void {
    this.errors += 1;
    if (this.errorSamples.length < 5) this.errorSamples.push(String((err as Error)?.message ?? err).slice(0, 300));
  }

  result(seconds: number, saturated = false): PhaseResult {
    const { ops, errors, errorSamples, latency } = this;
    return { ops, errors, errorSamples, seconds, latency, saturated };
  }
}

/** Spreads operations over the clients in turn, as a load balancer would over application servers. */
function picker(clients: readonly StackClient[]): () => StackClient {
  let i = 0;
  return () => clients[i++ % clients.length]!;
}

/** `rate` operations a second for `seconds`; waits for those in flight before it returns. */
export async function openLoop(
  clients: readonly StackClient[],
  next: () => Op,
  rate: number,
  seconds: number,
): Promise<PhaseResult> {
  const tally = new Tally();
  const pick = picker(clients);
  const t0 = performance.now();
  const total = Math.floor(rate * seconds);
  const inFlight = new Set<Promise<void>>();
  let issued = 0;
  let saturated = false;
  while (issued < total && !saturated) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
    for (; issued < due; issued++) {
      const dueAt = t0 + (issued * 1000) / rate; // the intended start: latency counts from here
      const p: Promise<void> = pick()
        .call(next())
        .then(
          () => tally.done(dueAt),
          (err) => tally.failed(err),
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    if (inFlight.size > MAX_IN_FLIGHT) saturated = true;
    await sleep(1); // a busy loop would take a core from the stacks: due operations go out each millisecond
  }
  await Promise.all(inFlight);
  return tally.result((performance.now() - t0) / 1000, saturated);
}

/** `concurrency` operations in flight for `seconds`. */
export async function closedLoop(
  clients: readonly StackClient[],
  next: () => Op,
  concurrency: number,
  seconds: number,
): Promise<PhaseResult> {
  const tally = new Tally();
  const pick = picker(clients);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      try {
        await pick().call(next());
        tally.done(started);
      } catch (err) {
        tally.failed(err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tally.result((performance.now() - t0) / 1000);
}
