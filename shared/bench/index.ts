import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { findNatsServer } from '../nats/server-bin.ts';

/** One measured figure, in the format of shared/design/BENCHMARKS-FORMAT.md. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  target?: string;
  note?: string;
}

export interface BenchResult {
  bench: string;
  when: string;
  machine: Record<string, string | number>;
  command: string;
  figures: Figure[];
  [extra: string]: unknown;
}

export function withBaseline(fig: Omit<Figure, 'ratio'>): Figure {
  if (!fig.baseline || fig.baseline.value === 0) return fig;
  return { ...fig, ratio: round(fig.value / fig.baseline.value, 2) };
}

export function round(v: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function machineInfo(extra: Record<string, string> = {}): Record<string, string | number> {
  return {
    cpus: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: osName(),
    glibc: glibcVersion(),
    ...extra,
  };
}

function glibcVersion(): string {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report.header?.glibcVersionRuntime ?? 'unknown';
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

/** Version of the nats-server the benchmark started: the one findNatsServer() picks, unless given. */
export function natsServerVersion(bin?: string): string {
  try {
    return execFileSync(bin ?? findNatsServer(), ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^nats-server:\s*v?/, '');
  } catch {
    return 'unknown';
  }
}

/** Prints the figures as a table and, with `--json FILE`, writes the result. */
export function report(result: BenchResult, jsonPath: string | undefined): void {
  const rows = result.figures.map((f) => [
    f.name,
    `${formatNumber(f.value)} ${f.unit}`,
    f.baseline ? `${f.baseline.name} = ${formatNumber(f.baseline.value)}` : '',
    f.ratio === undefined ? '' : `${f.ratio}×`,
    f.target ?? '',
  ]);
  const header = ['figure', 'value', 'baseline (same run)', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' │ ');
  console.log(`\n${result.bench} — ${result.when}`);
  console.log(line(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('─┼─'));
  for (const r of rows) console.log(line(r));
  for (const f of result.figures) if (f.note) console.log(`  ${f.name}: ${f.note}`);
  if (jsonPath) {
    // npm runs workspace scripts in the workspace folder; a relative path means the folder the user ran npm from.
    const file = resolve(process.env.INIT_CWD ?? process.cwd(), jsonPath);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${file}`);
  }
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(round(v, 2));
}

/** Latency percentiles over a list of samples in ms. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
