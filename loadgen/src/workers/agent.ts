// A worker's job, whatever carries its messages: wait for a plan, run its fleet, send a sample every second, stop
// when told (or when the run is well over its planned end, so a lost coordinator cannot leave it running).

import { hostname } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WorkerMetrics } from '../metrics/sample.ts';
import type { Channel, ToWorker } from './messages.ts';
import type { Fleet, WorkerPlan } from './plan.ts';

const SAMPLE_MS = 1000;
/** After the planned end, a worker stops on its own this much later. */
const OVERRUN_MS = 60_000;

/** One full collection: the ramp's garbage (HTTP, handshakes) goes, what the bots hold stays. */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export async function createFleet(plan: WorkerPlan, metrics: WorkerMetrics): Promise<Fleet> {
  if (plan.scenario.kind === 'objects') {
    const { ObjectsFleet } = await import('../scenarios/objects-fleet.ts');
    return ObjectsFleet.create(plan, metrics);
  }
  const { SocketFleet } = await import('../bot/socket-fleet.ts');
  return new SocketFleet(plan, metrics);
}

/** Resolves when the worker has run (or refused) one plan and reported that it stopped. */
export function runAgent(channel: Channel, id: string): Promise<void> {
  channel.send({ type: 'hello', worker: id, host: hostname(), pid: process.pid });
  return new Promise((resolve) => {
    let running: Promise<void> | undefined;
    let stop: (() => void) | undefined;
    channel.onMessage((msg: ToWorker) => {
      if (msg.type === 'start' && !running) {
        running = runPlan(channel, msg.plan, (s) => {
          stop = s;
        }).finally(resolve);
      } else if (msg.type === 'stop') {
        if (stop) stop();
        else if (!running) resolve();
      }
    });
  });
}

async function runPlan(channel: Channel, plan: WorkerPlan, setStop: (stop: () => void) => void): Promise<void> {
  const metrics = new WorkerMetrics(plan.worker);
  let fleet: Fleet;
  try {
    fleet = await createFleet(plan, metrics);
  } catch (err) {
    channel.send({ type: 'failed', worker: plan.worker, message: (err as Error).message });
    return;
  }
  fullGc(); // the baseline: what a worker holds before its first bot
  fleet.start();
  const gc = setTimeout(fullGc, Math.max(0, plan.gcAt - Date.now()));
  const sampler = setInterval(() => channel.send({ type: 'sample', sample: metrics.take(fleet.gauges()) }), SAMPLE_MS);
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, plan.t0 + plan.rampMs + plan.holdMs + OVERRUN_MS - Date.now());
    setStop(() => {
      clearTimeout(deadline);
      resolve();
    });
  });
  clearTimeout(gc);
  await fleet.stop();
  clearInterval(sampler);
  channel.send({ type: 'sample', sample: metrics.take(fleet.gauges()) });
  channel.send({ type: 'stopped', worker: plan.worker });
}
