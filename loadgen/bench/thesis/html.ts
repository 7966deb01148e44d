// The bench's HTML report: latency against offered rate, throughput against concurrency, CPU per operation, and
// the code of each side, as standalone SVG charts (the latency chart is also written alone, for the README).

import type { Figure } from '@resident/shared/bench';
import { esc } from '../../src/report/html.ts';
import { renderSvg, type SvgChart } from '../../src/report/svg.ts';
import type { CodeSize } from './loc.ts';
import type { StackResult } from './run.ts';

const COLORS = { resident: '#1f77b4', stateless: '#d62728' } as const;

export function latencyChart(sides: readonly StackResult[]): SvgChart {
  const x = sides[0]!.open.map((s) => s.at);
  return {
    title: 'p99 latency against offered rate (open loop, from intended start)',
    x,
    xLabel: 'offered operations per second',
    yLabel: 'p99 ms',
    series: sides.flatMap((r) => [
      { label: `${r.name} p99`, color: COLORS[r.name], values: r.open.map((s) => s.p99) },
      { label: `${r.name} p50`, color: COLORS[r.name], dashed: true, values: r.open.map((s) => s.p50) },
    ]),
  };
}

function throughputChart(sides: readonly StackResult[]): SvgChart {
  return {
    title: 'Throughput against operations in flight (closed loop)',
    x: sides[0]!.closed.map((s) => s.at),
    xLabel: 'operations in flight',
    yLabel: 'ops/s',
    series: sides.map((r) => ({ label: r.name, color: COLORS[r.name], values: r.closed.map((s) => s.opsPerS) })),
  };
}

function cpuChart(sides: readonly StackResult[]): SvgChart {
  return {
    title: 'CPU ms per 1,000 operations (application tier and its servers), open loop',
    x: sides[0]!.open.map((s) => s.at),
    xLabel: 'offered operations per second',
    yLabel: 'CPU ms / 1k ops',
    series: sides.map((r) => ({
      label: r.name,
      color: COLORS[r.name],
      values: r.open.map((s) => s.appCpuMsPer1k + s.infraCpuMsPer1k),
    })),
  };
}

const table = (head: string[], rows: (string | number)[][]) =>
  `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`)
    .join('')}</table>`;

function stepsTable(r: StackResult): string {
  const row = (kind: string) => (s: StackResult['open'][number]) => [
    kind,
    s.at,
    Math.round(s.opsPerS),
    s.p50,
    s.p99,
    s.p999,
    s.errors,
    s.appCpuMsPer1k.toFixed(1),
    s.infraCpuMsPer1k.toFixed(1),
    Object.entries(s.perOp)
      .map(([k, v]) => `${k} ${(v ?? 0).toFixed(2)}`)
      .join(', '),
  ];
  const head = [
    'model',
    'rate / in flight',
    'ops/s',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'errors',
    'app CPU ms/1k',
    'servers CPU ms/1k',
    'per op',
  ];
  return table(head, [...r.open.map(row('open')), ...r.closed.map(row('closed'))]);
}

export function renderThesis(opts: {
  figures: Figure[];
  sides: readonly StackResult[];
  code: CodeSize | undefined;
  mix: string;
  machine: string;
  command: string;
}): string {
  const { figures, sides, code } = opts;
  const figs = table(
    ['figure', 'value', 'baseline', 'ratio', 'target'],
    figures.map((f) => [
      f.name,
      `${f.value} ${f.unit}`,
      f.baseline ? `${f.baseline.value}` : '',
      f.ratio ?? '',
      f.target ?? '',
    ]),
  );
  const codeHtml = code
    ? table(
        ['side', 'lines', 'files'],
        [
          ['resident', code.resident.lines, code.resident.files.join(', ')],
          ['stateless', code.stateless.lines, code.stateless.files.join(', ')],
        ],
      )
    : '<p>cloc not installed: no code figure.</p>';
  const charts = [latencyChart(sides), throughputChart(sides), cpuChart(sides)].map(renderSvg).join('\n');
  return `<!doctype html><meta charset="utf-8"><title>bench:thesis</title>
<style>body{font:14px system-ui;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}svg{margin:1em 1em 0 0}</style>
<h1>Stateful objects against the stateless stack</h1>
<p>${esc(opts.machine)} — <code>${esc(opts.command)}</code></p><p>Workload: ${esc(opts.mix)}</p>
${figs}<div>${charts}</div>
${sides.map((r) => `<h2>${esc(r.name)}</h2><ul>${r.description.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>${stepsTable(r)}`).join('\n')}
<h2>Code</h2>${codeHtml}`;
}
