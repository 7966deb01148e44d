// CPU and memory of each backend node, from its /metrics (Prometheus text): process_cpu_seconds_total and
// process_resident_memory_bytes, polled every second (or every --scrape).

/**
 * From the start, before the ramp (--baseline), so each node has a CPU reading at 0 users, which the CPU-per-user
 * slope needs. The same pace throughout, since a scrape costs the node CPU itself: a faster pace before the ramp would
 * count that cost as the users' savings. A scrape slower than TIMEOUT_MS is a failure.
 */
const TIMEOUT_MS = 1500;

export interface NodeSample {
  node: string;
  at: number;
  /** CPU use since the previous scrape, in % of one core; undefined on the first. */
  cpuPct?: number;
  /** The node's process_cpu_seconds_total: CPU over any span between two samples. */
  cpuSeconds: number;
  rssBytes: number;
}

export function parseProcessMetrics(text: string): { cpuSeconds?: number; rssBytes?: number } {
  return {
    cpuSeconds: readMetric(text, 'process_cpu_seconds_total'),
    rssBytes: readMetric(text, 'process_resident_memory_bytes'),
  };
}

/** The first sample of `name` in Prometheus text, with exactly `labels` (e.g. `how="batched"`) when given. */
export function readMetric(text: string, name: string, labels?: string): number | undefined {
  const labelled = labels === undefined ? '(?:\\{[^}]*\\})?' : `\\{${labels}\\}`;
  const m = new RegExp(`^${name}${labelled}\\s+([0-9.eE+-]+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

export class NodeScraper {
  readonly samples: NodeSample[] = [];
  readonly failures = new Map<string, string>();
  readonly #last = new Map<string, { at: number; cpu: number }>();
  /** Nodes with a scrape in flight: a slow node is not asked twice at once (its samples stay in order). */
  readonly #busy = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly nodes: readonly string[],
    readonly everyMs = 1000,
  ) {}

  start(): void {
    void this.#scrapeAll();
    this.#timer = setInterval(() => void this.#scrapeAll(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The newest sample of each node. */
  latest(): NodeSample[] {
    const out = new Map<string, NodeSample>();
    for (const s of this.samples) out.set(s.node, s);
    return [...out.values()];
  }

  async #scrapeAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.#scrape(n)));
  }

  async #scrape(node: string): Promise<void> {
    if (this.#busy.has(node)) return;
    this.#busy.add(node);
    try {
      const res = await fetch(`${node}/metrics`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      const m = parseProcessMetrics(await res.text());
      if (m.cpuSeconds === undefined || m.rssBytes === undefined) throw new Error('no process_* metrics');
      const at = Date.now();
      const last = this.#last.get(node);
      const cpuPct = last ? (100 * (m.cpuSeconds - last.cpu) * 1000) / (at - last.at) : undefined;
      this.#last.set(node, { at, cpu: m.cpuSeconds });
      this.samples.push({
        node,
        at,
        cpuSeconds: m.cpuSeconds,
        rssBytes: m.rssBytes,
        ...(cpuPct === undefined ? {} : { cpuPct }),
      });
      this.failures.delete(node);
    } catch (err) {
      this.failures.set(node, (err as Error).message);
    } finally {
      this.#busy.delete(node);
    }
  }
}
