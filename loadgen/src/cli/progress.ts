// Live terminal progress: users (target vs connected), join rates, messages, RTT percentiles, errors and retries
// (join steps the server asked to retry), generator CPU, backend nodes. On a terminal it redraws in place (log-update); otherwise one line every 5 s.

import logUpdate from 'log-update';
import type { LiveRun } from '../coordinator/run.ts';
import { Histogram } from '../metrics/histogram.ts';
import type { CounterName, HistogramName } from '../metrics/sample.ts';
import type { NodeScraper } from '../metrics/scrape.ts';

const RTT_SHOWN: [HistogramName, string][] = [
  ['ack', 'input→ack'],
  ['ping', 'ping'],
  ['cping', 'colyseus ping'],
  ['call', 'object call (simulated)'],
];

/** Without a terminal: one line this often (tests set it lower to follow a run). */
const LINE_EVERY_MS = Number(process.env.LOADGEN_LINE_EVERY_MS ?? 5000);

export class Progress {
  readonly #tty: boolean;
  readonly #label: string;
  #errors = 0;
  #retries = 0;
  readonly #errorKinds: Record<string, number> = {};
  #seen = 0;
  #lastLine = 0;

  constructor(
    enabled: boolean,
    label: string,
    readonly scraper: NodeScraper | undefined,
  ) {
    this.#tty = enabled && process.stdout.isTTY === true;
    this.#label = label;
  }

  update(live: LiveRun): void {
    const { record } = live;
    // Errors since the last update: samples are appended, so count only the new ones.
    for (const s of record.samples.slice(this.#seen)) {
      this.#errors += s.counters.errors;
      this.#retries += s.counters.retries;
      for (const [k, v] of Object.entries(s.errorKinds)) this.#errorKinds[k] = (this.#errorKinds[k] ?? 0) + v;
    }
    this.#seen = record.samples.length;
    const text = this.#render(live);
    if (this.#tty) logUpdate(text);
    else if (Date.now() - this.#lastLine >= LINE_EVERY_MS || live.phase === 'stopping') {
      this.#lastLine = Date.now();
      console.log(text.split('\n').slice(0, 4).join(' | '));
    }
  }

  done(): void {
    if (this.#tty) logUpdate.done();
  }

  #render(live: LiveRun): string {
    const latest = [...live.latest.values()];
    const sum = (f: (s: (typeof latest)[number]) => number) => latest.reduce((a, s) => a + f(s), 0);
    const interval = Math.max(1, sum((s) => s.intervalMs) / Math.max(1, latest.length)) / 1000;
    const rate = (c: CounterName) => fmt(sum((s) => s.counters[c]) / interval);
    const elapsed = Math.max(0, Math.round((Date.now() - live.record.t0) / 1000));
    const plan = live.record.plans[0];
    const total = plan ? Math.round((plan.rampMs + plan.holdMs) / 1000) : 0;
    const lines = [
      `loadgen ${this.#label}  phase ${live.phase}  ${elapsed}s / ${total}s  workers ${latest.length}/${live.record.plans.length}`,
      `users    target ${fmt(sum((s) => s.target))}  connected ${fmt(sum((s) => s.active))}  joining ${fmt(sum((s) => s.joining))}`,
      `rates    login ${rate('logins')}/s  join ${rate('joins')}/s  retry ${rate('retries')}/s  re-join ${rate('rejoins')}/s  msgs in ${rate('msgsIn')}/s  out ${rate('msgsOut')}/s  calls ${rate('calls')}/s`,
      `errors   ${this.#errors}${
        this.#errors
          ? ` (${Object.entries(this.#errorKinds)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''
      }  retries ${this.#retries} (asked by the server; not errors)`,
      `RTT ms   ${this.#rtt(latest.map((s) => s.hist))}`,
      `loadgen  CPU ${fmt(sum((s) => s.cpuMicros) / 10_000 / interval)}%  RSS ${mb(sum((s) => s.rssBytes))}`,
    ];
    const nodes = this.scraper?.latest() ?? [];
    if (nodes.length) {
      lines.push(
        `nodes    ${nodes.map((n) => `${short(n.node)} ${n.cpuPct === undefined ? '-' : fmt(n.cpuPct)}% ${mb(n.rssBytes)}`).join('  ')}`,
      );
    }
    for (const f of live.record.flags.slice(-3)) lines.push(`FLAG     ${f.worker} ${f.kind}: ${f.detail}`);
    return lines.join('\n');
  }

  #rtt(hists: Partial<Record<HistogramName, number[]>>[]): string {
    const parts: string[] = [];
    for (const [name, label] of RTT_SHOWN) {
      const h = new Histogram();
      for (const set of hists) if (set[name]) h.add(set[name]!);
      if (h.count > 0)
        parts.push(`${label} p50 ${fmt(h.percentile(50))} p95 ${fmt(h.percentile(95))} p99 ${fmt(h.percentile(99))}`);
    }
    return parts.join('  │  ') || '-';
  }
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 10) / 10);
}

export function mb(bytes: number): string {
  return `${fmt(bytes / 2 ** 20)} MB`;
}

function short(url: string): string {
  return url.replace(/^https?:\/\//, '');
}
