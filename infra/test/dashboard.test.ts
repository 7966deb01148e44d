// The Grafana dashboard parses and its queries name metrics (that a node exports them is checked against live
// nodes in cluster.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DASHBOARD, dashboardQueries, exportedNames, metricNames } from './dashboard.ts';

test('the dashboard is a Grafana dashboard: unique panel ids, a Prometheus query in every panel', () => {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  assert.equal(typeof dash.title, 'string');
  assert.equal(typeof dash.uid, 'string');
  const ids = dash.panels.map((p: { id: number }) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of dash.panels) assert.ok(p.targets?.length > 0, `panel "${p.title}" has a query`);
  for (const { panel, expr } of dashboardQueries())
    assert.ok(metricNames(expr).length > 0, `panel "${panel}": no metric in ${expr}`);
});

test('metric names are read out of PromQL, and from /metrics TYPE lines', () => {
  assert.deepEqual(metricNames('sum by (le, instance) (rate(a_seconds_bucket{x="y"}[5m])) / on (instance) b_total'), [
    'a_seconds_bucket',
    'b_total',
  ]);
  assert.deepEqual(metricNames('histogram_quantile(0.99, sum by (le) (rate(h_bucket[1m])))'), ['h_bucket']);
  const names = exportedNames('# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 0\n# TYPE c counter\nc 1\n');
  assert.deepEqual([...names].sort(), ['c', 'h', 'h_bucket', 'h_count', 'h_sum']);
});
