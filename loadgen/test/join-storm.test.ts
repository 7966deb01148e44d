// A join storm: 600 bots all at once against a 2-node cluster whose nodes serve only 8 matchmaking requests at a
// time. The nodes refuse the rest early with 503 and Retry-After instead of queueing them; the bots wait as told and
// try again. No node crashes, every bot is seated, and the refusals are counted as retries, not errors.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { LocalCluster, printerFor } from '@resident/infra/cluster';
import { freePorts } from '@resident/infra/process';
import { LOCAL_LIMITS } from '../src/local/cluster.ts';
import { readResult, startCli } from './support/cli.ts';

const USERS = 600;
const PENDING_JOINS = 8;
let cluster: LocalCluster;

before(async () => {
  const ports = await freePorts(2);
  const limits = { ...LOCAL_LIMITS, 'max-pending-joins': PENDING_JOINS };
  const nodeArgs = Object.entries(limits).flatMap(([flag, value]) => [`--${flag}`, String(value)]);
  const options = { nodes: 2, nats: 1 as const, basePort: ports[0]!, ports, cluster: 'storm', nodeArgs };
  const sink = new PassThrough().resume();
  cluster = new LocalCluster(options, printerFor(options, sink, sink));
  await cluster.start();
});

after(() => cluster?.kill());

test(`${USERS} joins at once against nodes that serve ${PENDING_JOINS} at a time: refused early, all seated`, {
  timeout: 180_000,
}, async () => {
  const out = mkdtempSync(join(tmpdir(), 'loadgen-storm-'));
  const targets = cluster.nodes.map((n) => n.url).join(',');
  const args = ['--targets', targets, '--scenario', 'idle', '--users', String(USERS), '--ramp', '1s'];
  const run = startCli(
    [...args, '--concurrency', String(USERS), '--hold', '20s', '--warmup', '1s', '--out', out],
    160_000,
  );
  const r = await run.done;
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  const result = readResult(join(out, 'result.json'));
  const fig = (name: string) => result.figures.find((f) => f.name === name);
  assert.equal(fig('errors')?.value, 0, JSON.stringify(result.errors));
  assert.ok((fig('retries')?.value ?? 0) > 0, `the nodes refused some joins: ${JSON.stringify(fig('retries'))}`);
  assert.equal(result.timeline.filter((row) => row.inWindow).at(-1)?.active, USERS, 'every bot seated');
  for (const node of cluster.nodes) assert.ok(node.child.running, `${node.name} still running`);
});
