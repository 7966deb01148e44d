// The whole box while a step runs: CPU busy over all cores (/proc/stat), CPU pressure (PSI, /proc/pressure/cpu,
// where the kernel has it) and how often each node's quota held it back. Says where the box itself saturates: when
// the nodes' quotas plus the generator and NATS want more than its cores, quotas stop being the limit.

import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Throttling } from '@resident/infra/process';

const EVERY_MS = 1000;
const PSI = '/proc/pressure/cpu';

interface Sample {
  readonly t: number;
  readonly busy: number;
  readonly total: number;
  /** µs some task waited for a CPU, since boot. */
  readonly psiSomeUs: number | undefined;
  readonly throttling: readonly (Throttling | undefined)[];
}

export interface BoxWindow {
  readonly cores: number;
  /** Busy share of all cores, 0-100. */
  readonly cpuPct: number;
  /** Share of the time some runnable task waited for a CPU, 0-100 (undefined without PSI). */
  readonly psiSomePct: number | undefined;
  /** Per node: share of its quota periods in which the quota held it back, 0-100 (undefined without a quota). */
  readonly throttledPct: (number | undefined)[];
}

export class BoxSampler {
  readonly #samples: Sample[] = [];
  readonly #throttling: () => (Throttling | undefined)[];
  #timer: NodeJS.Timeout | undefined;

  constructor(throttling: () => (Throttling | undefined)[] = () => []) {
    this.#throttling = throttling;
  }

  start(): void {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), EVERY_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#sample();
  }

  /** Between the last sample at or before `fromMs` and the first at or after `toMs` (epoch ms). */
  window(fromMs: number, toMs: number): BoxWindow | undefined {
    const a = this.#samples.findLast((s) => s.t <= fromMs) ?? this.#samples[0];
    const b = this.#samples.find((s) => s.t >= toMs) ?? this.#samples.at(-1);
    if (!a || !b || b.total <= a.total) return undefined;
    const psi =
      a.psiSomeUs === undefined || b.psiSomeUs === undefined
        ? undefined
        : pct((b.psiSomeUs - a.psiSomeUs) / 1000, b.t - a.t);
    return {
      cores: cpus().length,
      cpuPct: pct(b.busy - a.busy, b.total - a.total),
      psiSomePct: psi,
      throttledPct: b.throttling.map((tb, i) => {
        const ta = a.throttling[i];
        if (!tb) return undefined;
        const periods = tb.periods - (ta?.periods ?? 0);
        return periods > 0 ? pct(tb.throttledPeriods - (ta?.throttledPeriods ?? 0), periods) : 0;
      }),
    };
  }

  #sample(): void {
    const [busy, total] = cpuTicks();
    this.#samples.push({ t: Date.now(), busy, total, psiSomeUs: psiSome(), throttling: this.#throttling() });
  }
}

function pct(part: number, whole: number): number {
  return Math.round((1000 * part) / whole) / 10;
}

/** The aggregate "cpu" line: every field is time spent; idle and iowait are the not-busy ones. */
function cpuTicks(): [number, number] {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return [total - idle, total];
}

function psiSome(): number | undefined {
  if (!existsSync(PSI)) return undefined;
  const m = /^some .*total=(\d+)/m.exec(readFileSync(PSI, 'utf8'));
  return m ? Number(m[1]) : undefined;
}
