// The coordinator's view of its workers: a worker that is slow to start or goes quiet for a while on a starved machine
// is flagged, and counted again once it speaks; the run ends early only when every worker is gone for good.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { type PlanTemplate, runWorkers } from '../src/coordinator/run.ts';
import type { WorkerSample } from '../src/metrics/sample.ts';
import type { FromWorker, ToWorker, WorkerLink } from '../src/workers/messages.ts';

/** A worker seen from the coordinator's side; the test decides when it speaks. */
class ScriptedLink implements WorkerLink {
  readonly where = 'test';
  #handler: ((msg: FromWorker) => void) | undefined;
  #spoke = false;
  constructor(readonly id: string) {}
  /** A worker that ever sent a sample confirms the stop; a mute one stays mute. */
  send(msg: ToWorker): void {
    if (msg.type === 'stop' && this.#spoke) this.#handler?.({ type: 'stopped', worker: this.id });
  }
  onMessage(handler: (msg: FromWorker) => void): void {
    this.#handler = handler;
  }
  onGone(): void {}
  async close(): Promise<void> {}
  sample(): void {
    this.#spoke = true;
    this.#handler?.({
      type: 'sample',
      sample: { worker: this.id, at: Date.now(), active: 0, target: 0 } as WorkerSample,
    });
  }
}

const TEMPLATE = { users: 2, rampMs: 0, holdMs: 300_000, warmupMs: 0 } as unknown as PlanTemplate;

/** Runs the coordinator on mocked time; `speaks(worker, second)` says whether a worker sends its sample then. */
async function scripted(ids: string[], seconds: number, speaks: (id: string, s: number) => boolean) {
  mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_000_000 });
  try {
    const links = ids.map((id) => new ScriptedLink(id));
    const run = runWorkers({ ...TEMPLATE, holdMs: seconds * 1000 }, links);
    for (let s = 0; s < seconds + 2; s++) {
      for (const l of links) if (speaks(l.id, s)) l.sample();
      mock.timers.tick(1000);
      await Promise.resolve();
    }
    mock.timers.tick(60_000);
    return await run;
  } finally {
    mock.timers.reset();
  }
}

const kinds = (flags: { worker: string; kind: string }[], id: string) =>
  flags.filter((f) => f.worker === id).map((f) => f.kind);

test('a worker that takes 90 s to start is not flagged, and one silent for 20 s is dead, then back', async () => {
  const record = await scripted(['w1', 'slow', 'gap'], 200, (id, s) =>
    id === 'slow' ? s >= 90 : id === 'gap' ? s < 50 || s >= 70 : true,
  );
  assert.equal(record.stopReason, 'completed');
  assert.deepEqual(kinds(record.flags, 'slow'), [], JSON.stringify(record.flags));
  assert.deepEqual(kinds(record.flags, 'gap'), ['late', 'dead', 'back']);
  assert.deepEqual(kinds(record.flags, 'w1'), []);
});

test('the run ends early once every worker has been silent for a minute', async () => {
  const record = await scripted(['w1', 'w2'], 300, (_id, s) => s < 10);
  assert.equal(record.stopReason, 'all workers gone');
  assert.ok(record.endedAt - 1_000_000 < 120_000, `ended ${(record.endedAt - 1_000_000) / 1000} s in`);
});

test('a worker that never speaks is flagged dead two minutes after the start', async () => {
  const record = await scripted(['w1', 'mute'], 200, (id) => id === 'w1');
  assert.deepEqual(kinds(record.flags, 'mute'), ['dead']);
  assert.equal(record.stopReason, 'completed');
});
