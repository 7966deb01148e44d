// A line chart as a standalone SVG (no script, no fonts to fetch): what a README can embed, where the HTML report's
// uPlot charts cannot go.

import { esc } from './html.ts';

export interface SvgSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
  readonly dashed?: boolean;
}

export interface SvgChart {
  readonly title: string;
  readonly x: readonly number[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly SvgSeries[];
  /** Vertical markers, e.g. where the box saturates. */
  readonly markers?: readonly { x: number; label: string }[];
}

const W = 640;
const H = 400;
const PAD = { left: 64, right: 24, top: 48, bottom: 56 };

export function renderSvg(c: SvgChart): string {
  const xMax = Math.max(...c.x);
  const yMax = niceMax(Math.max(1, ...c.series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const px = (x: number) => round1(PAD.left + (x / xMax) * (W - PAD.left - PAD.right));
  const py = (y: number) => round1(H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${esc(c.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(c.title)}</text>`,
    ...axes(c, yMax, px, py),
    ...(c.markers ?? []).map(
      (m) =>
        `<line x1="${px(m.x)}" y1="${PAD.top}" x2="${px(m.x)}" y2="${H - PAD.bottom}" stroke="#999" stroke-dasharray="2 3"/>` +
        `<text x="${px(m.x) - 4}" y="${PAD.top + 12}" text-anchor="end" fill="#666">${esc(m.label)}</text>`,
    ),
    ...c.series.flatMap((s) => line(s, c.x, px, py)),
    ...c.series.map(
      (s, i) =>
        `<line x1="${PAD.left + 12}" y1="${PAD.top + 14 + i * 18}" x2="${PAD.left + 36}" y2="${PAD.top + 14 + i * 18}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>` +
        `<text x="${PAD.left + 42}" y="${PAD.top + 18 + i * 18}">${esc(s.label)}</text>`,
    ),
    '</svg>',
  ];
  return `${parts.join('\n')}\n`;
}

function axes(c: SvgChart, yMax: number, px: (x: number) => number, py: (y: number) => number): string[] {
  const out = [
    `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 16}" text-anchor="middle">${esc(c.xLabel)}</text>`,
    `<text transform="translate(16 ${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`,
  ];
  for (const x of c.x) {
    out.push(`<text x="${px(x)}" y="${H - PAD.bottom + 18}" text-anchor="middle">${x}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    out.push(
      `<line x1="${PAD.left}" y1="${py(y)}" x2="${W - PAD.right}" y2="${py(y)}" stroke="#eee"/>`,
      `<text x="${PAD.left - 6}" y="${py(y) + 4}" text-anchor="end">${Math.round(y)}</text>`,
    );
  }
  return out;
}

function line(s: SvgSeries, x: readonly number[], px: (x: number) => number, py: (y: number) => number): string[] {
  const pts = x.flatMap((xv, i) =>
    s.values[i] === null || s.values[i] === undefined ? [] : [[px(xv), py(s.values[i]!)]],
  );
  if (pts.length === 0) return [];
  const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
  return [
    `<polyline fill="none" stroke="${s.color}" stroke-width="2.5"${dash} points="${pts.map((p) => p.join(',')).join(' ')}"/>`,
    ...(s.dashed ? [] : pts.map(([a, b]) => `<circle cx="${a}" cy="${b}" r="4" fill="${s.color}"/>`)),
  ];
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** 1, 2 or 5 times a power of ten, at or above `v`. */
function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
}
