// A self-contained HTML report: uPlot's JS and CSS inlined, the result embedded as JSON, charts drawn in the page.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { LoadgenResult } from './result.ts';

const require = createRequire(import.meta.url);
const UPLOT_DIR = join(dirname(require.resolve('uplot/package.json')), 'dist');

export interface ScaleChart {
  title: string;
  /** x values (node counts) and named series. */
  x: number[];
  xLabel: string;
  /** dashed: a reference line (e.g. ideal linear scaling), not a measurement. */
  series: { label: string; values: (number | null)[]; dashed?: boolean }[];
}

export function renderReport(result: LoadgenResult): string {
  const title = `loadgen ${result.scenario}${result.simulated ? ' — simulated (no sockets)' : ''} — ${result.when}`;
  return page(title, `${summaryHtml(result)}<div id="charts"></div>`, { result }, CHARTS_JS);
}

/** The scaling curve page (loadgen:scale): capacity against node count, a table of the steps, and notes. */
export function renderScale(
  title: string,
  charts: ScaleChart[],
  table: { head: string[]; rows: string[][] },
  notes: string[],
): string {
  const head = `<tr>${table.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const rows = table.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  const ps = notes.map((n) => `<p>${esc(n)}</p>`).join('');
  return page(
    title,
    `<h1>${esc(title)}</h1>${ps}<div id="charts"></div><h2>Steps</h2><table>${head}${rows}</table>`,
    { scale: charts },
    SCALE_JS,
  );
}

function page(title: string, body: string, data: unknown, script: string): string {
  const css = readFileSync(join(UPLOT_DIR, 'uPlot.min.css'), 'utf8');
  const js = readFileSync(join(UPLOT_DIR, 'uPlot.iife.min.js'), 'utf8');
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${css}
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
.warn{color:#b00;font-weight:bold}.chart{margin:18px 0}.sim{background:#fff3cd;padding:6px 10px;display:inline-block}</style>
</head><body>${body}
<script>${js}</script>
<script>const DATA=${json};${script}</script></body></html>`;
}

function summaryHtml(r: LoadgenResult): string {
  const fig = r.figures
    .map(
      (f) =>
        `<tr><td>${esc(f.name)}</td><td><b>${f.value}</b> ${esc(f.unit)}</td><td>${esc(f.target ?? '')}</td><td>${esc(f.note ?? '')}</td></tr>`,
    )
    .join('');
  const lat = Object.entries(r.latency.window)
    .map(
      ([, p]) =>
        `<tr><td>${esc(p!.label)}</td><td>${p!.p50}</td><td>${p!.p95}</td><td>${p!.p99}</td><td>${p!.max}</td><td>${p!.count}</td></tr>`,
    )
    .join('');
  const flags = r.flags
    .map(
      (f) =>
        `<li class="warn">${esc(`${f.worker} ${f.kind} at +${Math.round((f.at - Date.parse(r.when)) / 1000)} s: ${f.detail}`)}</li>`,
    )
    .join('');
  const errs = r.errors.errorSamples.map((e) => `<li>${esc(e)}</li>`).join('');
  const s = r.setup;
  const setup = [
    ['command', s.command],
    ['scenario', `${s.scenario.name}: ${s.scenario.description}`],
    [
      'load',
      `${s.users.toLocaleString('en-US')} users, ramp ${s.rampMs / 1000} s, hold ${s.holdMs / 1000} s, warm-up ${s.warmupMs / 1000} s (window ${r.window.startS}-${r.window.endS} s)`,
    ],
    ['topology', `${s.local ? `local cluster of ${s.local} nodes + NATS; ` : ''}targets ${s.targets.join(', ')}`],
    ['workers', s.workers.map((w) => `${w.id} (${w.where})`).join(', ')],
    [
      'machine',
      Object.entries(r.machine)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
  ]
    .map(([k, v]) => `<tr><th>${k}</th><td>${esc(String(v))}</td></tr>`)
    .join('');
  return `<h1>${esc(`loadgen — ${r.scenario}`)} ${r.partial ? `<span class="warn">(partial: ${esc(r.stopReason)})</span>` : ''}</h1>
${r.simulated ? '<p class="sim">Objects scenario: users are <b>simulated (no sockets)</b> — Player objects called over NATS.</p>' : ''}
<h2>Figures</h2><table><tr><th>figure</th><th>value</th><th>target</th><th>note</th></tr>${fig}</table>
<h2>Latency in the measurement window (ms)</h2><table><tr><th>what</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>samples</th></tr>${lat}</table>
${flags ? `<h2>Worker flags</h2><ul>${flags}</ul>` : ''}
<h2>Errors: ${r.errors.counters.errors} (window: ${r.errors.windowCount})</h2>${errs ? `<ul>${errs}</ul>` : ''}
<h2>Setup</h2><table>${setup}</table>`;
}

export function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

// Runs in the page. Plain JS: one uPlot per chart.
const CHARTS_JS = `
const R = DATA.result, rows = R.timeline, t = rows.map(r => r.t);
const sim = R.simulated ? ' (simulated, no sockets)' : '';
const COLORS = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
function chart(title, x, series, opts = {}) {
  const el = document.createElement('div'); el.className = 'chart';
  const h = document.createElement('h2'); h.textContent = title; el.appendChild(h);
  document.getElementById('charts').appendChild(el);
  const s = [{ label: opts.xLabel || 's' }].concat(series.map((v, i) => ({ label: v.label, stroke: COLORS[i % COLORS.length], width: 1.5,
    points: { show: !!opts.points, size: 4 }, paths: opts.points ? () => null : undefined })));
  new uPlot({ width: Math.min(1100, window.innerWidth - 60), height: 260, series: s, scales: { x: { time: false } },
    axes: [{ label: opts.xLabel || 'seconds since start' }, { label: opts.yLabel || '' }] }, [x].concat(series.map(v => v.values)), el);
}
const col = (f) => rows.map(r => { const v = f(r); return v === undefined || Number.isNaN(v) ? null : v; });
chart('Concurrent users: target vs achieved' + sim, t, [
  { label: 'target', values: col(r => r.target) }, { label: 'connected' + sim, values: col(r => r.active) }, { label: 'joining', values: col(r => r.joining) }], { yLabel: 'users' });
const LAT = { ack: 'input→ack', ping: 'ping', cping: 'Colyseus PING', call: 'object call' };
const latSeries = [];
for (const k of Object.keys(LAT)) if (rows.some(r => r.p[k])) for (const q of ['p50','p95','p99'])
  latSeries.push({ label: LAT[k] + ' ' + q, values: col(r => r.p[k] && r.p[k][q]) });
if (latSeries.length) chart('RTT percentiles over time (ms)', t, latSeries, { yLabel: 'ms' });
if (latSeries.length) {
  const sorted = rows.filter(r => r.active > 0).slice().sort((a, b) => a.active - b.active);
  const vs = [];
  for (const k of Object.keys(LAT)) if (sorted.some(r => r.p[k])) vs.push({ label: LAT[k] + ' p99', values: sorted.map(r => r.p[k] ? r.p[k].p99 : null) });
  chart('RTT p99 vs concurrent users (ms)', sorted.map(r => r.active), vs, { xLabel: 'concurrent users' + sim, yLabel: 'ms', points: true });
}
if (!R.simulated) {
  const J = R.joinRamp, inRamp = (r) => J && r.t >= J.fromS && r.t <= J.toS;
  chart('Join rate (joins per second) and retries' + (J ? ' — joins_per_s: median ' + J.median + '/s over +' + J.fromS + '…+' + J.toS + ' s' : ''), t, [
    { label: 'joins/s', values: col(r => r.rates.joins) },
    { label: 'joins_per_s (median over the ramp)', values: col(r => inRamp(r) ? J.median : null) },
    { label: 'retries/s (asked by the server)', values: col(r => r.rates.retries) },
    { label: 're-joins/s', values: col(r => r.rates.rejoins) },
    { label: 'errors/s', values: col(r => r.rates.errors) }], { yLabel: 'per second' });
}
chart('Throughput (per second)', t, [
  { label: 'msgs in', values: col(r => r.rates.msgsIn) }, { label: 'msgs out', values: col(r => r.rates.msgsOut) },
  { label: 'joins', values: col(r => r.rates.joins) }, { label: 'logins', values: col(r => r.rates.logins) },
  { label: 'object calls', values: col(r => r.rates.calls) }]);
chart('Bytes per second', t, [{ label: 'in', values: col(r => r.rates.bytesIn) }, { label: 'out', values: col(r => r.rates.bytesOut) }], { yLabel: 'bytes/s' });
chart('Errors per second', t, [{ label: 'errors', values: col(r => r.rates.errors) }]);
const nodes = R.nodes;
if (nodes.length) {
  chart('CPU per backend node (% of a core)', t, nodes.map(n => ({ label: n, values: col(r => r.nodes[n] && r.nodes[n].cpuPct) })), { yLabel: '%' });
  chart('RSS per backend node (MB)', t, nodes.map(n => ({ label: n, values: col(r => r.nodes[n] && r.nodes[n].rssBytes / 1048576) })), { yLabel: 'MB' });
}
const nodeRss = (r) => nodes.reduce((a, n) => a + (r.nodes[n] ? r.nodes[n].rssBytes : 0), 0);
chart('Bytes per user (total RSS / users)' + sim, t, [
  { label: 'backend RSS / user', values: col(r => r.active > 0 && nodes.length ? nodeRss(r) / r.active : null) },
  { label: 'loadgen RSS / bot', values: col(r => r.active > 0 ? r.genRssBytes / r.active : null) }], { yLabel: 'bytes' });
chart('Generator: CPU (% of a core, all workers) and RSS (MB)', t, [
  { label: 'CPU %', values: col(r => r.genCpuPct) }, { label: 'RSS MB', values: col(r => r.genRssBytes / 1048576) }]);
`;

const SCALE_JS = `
const COLORS = ['#1f77b4','#999999','#ff7f0e','#2ca02c','#d62728'];
for (const c of DATA.scale) {
  const el = document.createElement('div'); el.className = 'chart';
  const h = document.createElement('h2'); h.textContent = c.title; el.appendChild(h);
  document.getElementById('charts').appendChild(el);
  new uPlot({ width: 800, height: 260, scales: { x: { time: false } }, axes: [{ label: c.xLabel }, {}],
    series: [{ label: c.xLabel }].concat(c.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % 5], width: 2, dash: s.dashed ? [6, 4] : undefined, points: { size: s.dashed ? 0 : 7 } }))) },
    [c.x].concat(c.series.map(s => s.values)), el);
}
`;
