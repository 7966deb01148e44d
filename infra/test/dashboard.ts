// Reads the Grafana dashboard and the metric names its PromQL queries use, to check them against a live node.

import { readFileSync } from 'node:fs';

export const DASHBOARD = new URL('../dashboards/resident.json', import.meta.url);

interface Panel {
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

export function dashboardQueries(): { panel: string; expr: string }[] {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  return dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
}

/**
 * The metric names in a PromQL expression: identifiers that are not a function call, once label matchers
 * (`{…}`), ranges (`[…]`), grouping clauses (`by (…)`), strings and numbers are taken out.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = bare.slice(m.index + m[0].length).trimStart();
    if (!after.startsWith('(') && !/^(and|or|unless|offset|bool)$/.test(m[0])) names.push(m[0]);
  }
  return names;
}

/** Names a `/metrics` text declares (`# TYPE`), with the series a histogram or summary adds. */
export function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}
