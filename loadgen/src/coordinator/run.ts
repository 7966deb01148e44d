// One run across workers, wherever they are: splits the users, gives every worker the same start time (so ramps and
// the measurement window line up), collects their one-second samples, flags a late or dead worker, and stops them
// all at the end or on abort. Workers on one machine (fork) and on several (NATS) look the same from here.

import { randomBytes } from 'node:crypto';
import type { WorkerSample } from '../metrics/sample.ts';
import type { FromWorker, WorkerLink } from '../workers/messages.ts';
import type { WorkerPlan } from '../workers/plan.ts';

/** Time for the start message to reach every worker before the ramp begins. */
const START_DELAY_MS = 1500;
const LATE_MS = 3000;
const DEAD_MS = 15_000;
/**
 * Before its first message a worker is only starting (dozens of forks compiling at once on a busy box take a minute);
 * it counts as silent after this long.
 */
const STARTUP_MS = 120_000;
/** The run ends once every worker is gone: exited or failed, or silent this long. */
const GONE_MS = 60_000;
const STOP_WAIT_MS = 45_000;

export type PlanTemplate = Omit<
  WorkerPlan,
  'runId' | 'worker' | 'workerIndex' | 'users' | 'userOffset' | 't0' | 'gcAt'
> & {
  users: number;
  warmupMs: number;
};

export interface WorkerFlag {
  worker: string;
  /** dead: exited, or silent for DEAD_MS; back: spoke again after a silence that flagged it dead. */
  kind: 'late' | 'dead' | 'back' | 'failed' | 'behind';
  at: number;
  detail: string;
}

export interface RunRecord {
  runId: string;
  t0: number;
  /** The measurement window (epoch ms): the hold minus its warm-up. */
  window: { start: number; end: number };
  plans: WorkerPlan[];
  workers: { id: string; where: string }[];
  samples: WorkerSample[];
  flags: WorkerFlag[];
  endedAt: number;
  stopReason: 'completed' | 'interrupted' | 'all workers gone';
}

export interface RunHooks {
  /** Every second while the run goes on. */
  onTick?: (run: LiveRun) => void;
  signal?: AbortSignal;
}

/** What the live display reads. */
export interface LiveRun {
  readonly record: RunRecord;
  /** Each worker's newest sample. */
  readonly latest: ReadonlyMap<string, WorkerSample>;
  readonly phase: 'ramp' | 'warmup' | 'window' | 'stopping';
}

export function splitPlans(
  template: PlanTemplate,
  links: readonly WorkerLink[],
  runId: string,
  t0: number,
): WorkerPlan[] {
  const base = Math.floor(template.users / links.length);
  const extra = template.users % links.length;
  let offset = 0;
  const { warmupMs, ...plan } = template;
  const gcAt = t0 + template.rampMs + warmupMs;
  return links.map((link, i) => {
    const users = base + (i < extra ? 1 : 0);
    const p: WorkerPlan = { ...plan, runId, worker: link.id, workerIndex: i, users, userOffset: offset, t0, gcAt };
    offset += users;
    return p;
  });
}

export async function runWorkers(template: PlanTemplate, links: readonly WorkerLink[], hooks: RunHooks = {}) {
  const runId = randomBytes(4).toString('hex');
  const t0 = Date.now() + START_DELAY_MS;
  const plans = splitPlans(template, links, runId, t0);
  const rampEnd = t0 + template.rampMs;
  const record: RunRecord = {
    runId,
    t0,
    window: { start: rampEnd + template.warmupMs, end: rampEnd + template.holdMs },
    plans,
    workers: links.map((l) => ({ id: l.id, where: l.where })),
    samples: [],
    flags: [],
    endedAt: 0,
    stopReason: 'completed',
  };
  const tracker = new WorkerTracker(record, links);
  for (const [i, link] of links.entries()) link.send({ type: 'start', plan: plans[i]! });

  let phase: LiveRun['phase'] = 'ramp';
  const live: LiveRun = {
    record,
    latest: tracker.latest,
    get phase() {
      return phase;
    },
  };
  const end = rampEnd + template.holdMs;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = Date.now();
      phase = now < rampEnd ? 'ramp' : now < record.window.start ? 'warmup' : 'window';
      tracker.check(now, rampEnd);
      hooks.onTick?.(live);
      const gone = tracker.allGone(now);
      if (now >= end || gone) finish(gone ? 'all workers gone' : 'completed');
    }, 1000);
    // Once: a late tick or an abort after the end must not rewrite why the run stopped.
    let finished = false;
    const onAbort = () => finish('interrupted');
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    if (hooks.signal?.aborted) onAbort();
    function finish(reason: RunRecord['stopReason']) {
      if (finished) return;
      finished = true;
      clearInterval(tick);
      hooks.signal?.removeEventListener('abort', onAbort);
      record.stopReason = reason;
      resolve();
    }
  });
  phase = 'stopping';
  hooks.onTick?.(live);
  record.endedAt = Date.now();
  for (const link of links) link.send({ type: 'stop' });
  await tracker.allStopped(STOP_WAIT_MS);
  return record;
}

/**
 * Per worker: newest sample, silence, exit, "stopped". Silence is not death: a worker on a starved machine, or cut off
 * for a while, that speaks again is back ('silent' → 'ok'); one that exited or failed is gone ('dead').
 */
class WorkerTracker {
  readonly latest = new Map<string, WorkerSample>();
  /** When each worker last spoke; absent until its first message (it is then measured from #startedAt). */
  readonly #lastHeard = new Map<string, number>();
  readonly #startedAt = Date.now();
  readonly #state = new Map<string, 'ok' | 'late' | 'silent' | 'dead' | 'stopped'>();
  readonly #stopped: Promise<void>[] = [];
  readonly #record: RunRecord;

  constructor(record: RunRecord, links: readonly WorkerLink[]) {
    this.#record = record;
    for (const link of links) {
      this.#state.set(link.id, 'ok');
      this.#stopped.push(
        new Promise<void>((resolve) => {
          link.onMessage((msg) => this.#onMessage(link.id, msg, resolve));
          link.onGone((why) => {
            if (this.#flaggable(link.id)) this.#flag(link.id, 'dead', why);
            this.#state.set(link.id, 'dead');
            resolve();
          });
        }),
      );
    }
  }

  #onMessage(id: string, msg: FromWorker, stopped: () => void): void {
    this.#lastHeard.set(id, Date.now());
    if (this.#state.get(id) === 'silent') {
      this.#state.set(id, 'ok');
      this.#flag(id, 'back', 'spoke again');
    }
    if (msg.type === 'sample') {
      this.#record.samples.push(msg.sample);
      this.latest.set(id, msg.sample);
      if (this.#state.get(id) === 'late') this.#state.set(id, 'ok');
    } else if (msg.type === 'failed') {
      this.#flag(id, 'failed', msg.message);
      this.#state.set(id, 'dead');
      stopped();
    } else if (msg.type === 'stopped') {
      this.#state.set(id, 'stopped');
      stopped();
    }
  }

  check(now: number, rampEnd: number): void {
    for (const [id, state] of this.#state) {
      if (!this.#flaggable(id)) continue;
      const heard = this.#lastHeard.get(id);
      const silent = now - (heard ?? this.#startedAt);
      if (heard === undefined) {
        if (silent <= STARTUP_MS) continue;
        this.#state.set(id, 'silent');
        this.#flag(id, 'dead', `no message ${Math.round(silent / 1000)} s after the start`);
        continue;
      }
      if (silent > DEAD_MS) {
        this.#state.set(id, 'silent');
        this.#flag(id, 'dead', `no sample for ${Math.round(silent / 1000)} s`);
      } else if (silent > LATE_MS && state === 'ok') {
        this.#state.set(id, 'late');
        this.#flag(id, 'late', `no sample for ${Math.round(silent / 1000)} s`);
      }
    }
    // Once, a few seconds after the ramp: a worker that is far behind its schedule is worth a flag.
    if (now >= rampEnd + 5000 && now < rampEnd + 6000) {
      for (const [id, s] of this.latest) {
        if (s.active < s.target * 0.99) this.#flag(id, 'behind', `${s.active} of ${s.target} users 5 s after the ramp`);
      }
    }
  }

  allGone(now: number): boolean {
    return [...this.#state].every(
      ([id, s]) => s === 'dead' || (s === 'silent' && now - (this.#lastHeard.get(id) ?? this.#startedAt) > GONE_MS),
    );
  }

  async allStopped(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.#stopped), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    for (const id of this.#state.keys()) {
      if (this.#flaggable(id)) this.#flag(id, 'dead', `did not confirm its stop within ${timeoutMs / 1000} s`);
    }
  }

  /** Still expected to speak: not stopped, gone, or already flagged dead for its silence. */
  #flaggable(id: string): boolean {
    const state = this.#state.get(id);
    return state === 'ok' || state === 'late';
  }

  #flag(worker: string, kind: WorkerFlag['kind'], detail: string): void {
    this.#record.flags.push({ worker, kind, at: Date.now(), detail });
  }
}
