// One loadgen run end to end: (local cluster), reachability, workers, node scraping, live progress, the run, and the
// result files. Used by the CLI (forked or remote workers) and by the scaling run.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { report } from '@resident/shared/bench';
import type { RunOptions } from '../cli/args.ts';
import { LIMITS } from '../cli/args.ts';
import { Progress } from '../cli/progress.ts';
import { UsageError } from '../cli/usage-error.ts';
import { discoverCluster, type LocalCluster, startLocalCluster, watchTierCpu } from '../local/cluster.ts';
import { NodeScraper } from '../metrics/scrape.ts';
import { renderReport } from '../report/html.ts';
import { buildResult, type LoadgenResult, type Setup } from '../report/result.ts';
import { forkWorkers } from '../workers/fork-links.ts';
import type { WorkerLink } from '../workers/messages.ts';
import { type PlanTemplate, runWorkers } from './run.ts';

const REPO = resolve(import.meta.dirname, '../../..');

export interface SessionHooks {
  command: string;
  signal?: AbortSignal;
  /** Remote workers (coordinator mode); forked workers on this machine otherwise. */
  links?: () => Promise<WorkerLink[]>;
  log?: (line: string) => void;
}

export interface SessionOutcome {
  result: LoadgenResult;
  files: { json: string; html: string; summary?: string };
}

export async function runSession(opts: RunOptions, hooks: SessionHooks): Promise<SessionOutcome> {
  const log = hooks.log ?? ((line: string) => console.log(line));
  let cluster: LocalCluster | undefined;
  let links: WorkerLink[] = [];
  const profiles = opts.profile ? profileDirs(opts.profile) : undefined;
  try {
    if (opts.local) {
      log(`starting a local cluster: NATS + ${opts.local} backend node(s)…`);
      cluster = await startLocalCluster(opts.local, {
        nodeExecArgv: profiles && cpuProf(profiles.nodes),
        stateless: opts.stateless,
      });
      for (const line of cluster.settings) log(line);
      log(
        `local cluster ready: ${cluster.nodes.join(', ')} (NATS ${cluster.natsUrls.join(',')}, cluster ${cluster.cluster})`,
      );
    }
    const nodes = cluster?.nodes ?? opts.targets!.nodes;
    const backendUws = await checkReachable(nodes);
    const objects = opts.scenario.kind === 'objects' ? await objectsTarget(opts, cluster) : undefined;
    const scraper = new NodeScraper(nodes, opts.scrapeMs);
    scraper.start();
    const baselineEnd = Date.now() + opts.baselineMs;
    links = hooks.links ? await hooks.links() : forkWorkers(workerCount(opts), profiles && cpuProf(profiles.generator));
    await baseline(baselineEnd, log, hooks.signal);
    const progress = new Progress(
      opts.progress,
      `${opts.scenario.name}${objects ? ' (simulated, no sockets)' : ''}`,
      scraper,
    );
    const template: PlanTemplate = {
      users: opts.users,
      rampMs: opts.rampMs,
      holdMs: opts.holdMs,
      warmupMs: opts.warmupMs,
      scenario: opts.scenario,
      targets: nodes,
      concurrency: opts.concurrency,
      stepTimeoutMs: opts.stepTimeoutMs,
      spreadSources: nodes.every((n) => /^http:\/\/(127\.|localhost[:/])/.test(n)),
      ...(objects ? { objects } : {}),
    };
    const tierCpu = cluster?.stateless && watchTierCpu(cluster.stateless);
    const record = await runWorkers(template, links, {
      onTick: (live) => progress.update(live),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
    scraper.stop();
    progress.done();
    if (tierCpu) log(tierCpu());
    const setup: Setup = {
      command: hooks.command,
      scenario: { name: opts.scenario.name, description: opts.scenario.description, kind: opts.scenario.kind },
      users: opts.users,
      rampMs: opts.rampMs,
      holdMs: opts.holdMs,
      warmupMs: opts.warmupMs,
      targets: nodes,
      local: opts.local,
      workers: record.workers,
      versions: versions(backendUws),
    };
    const result = buildResult(record, scraper.samples, setup);
    return { result, files: writeOutputs(result, opts) };
  } finally {
    await Promise.all(links.map((l) => l.close()));
    if (cluster) {
      log('stopping the local cluster…');
      await cluster.stop();
    }
    if (profiles) log(`CPU profiles: ${profiles.generator}${opts.local ? ` and ${profiles.nodes}` : ''}`);
  }
}

/** The nodes at 0 users until `end` (--baseline): the base their per-user CPU and memory are measured from. */
async function baseline(end: number, log: (line: string) => void, signal: AbortSignal | undefined): Promise<void> {
  const left = end - Date.now();
  if (left <= 0) return;
  log(`reading the nodes at 0 users for ${Math.ceil(left / 1000)} s (--baseline)…`);
  await sleep(left, undefined, signal ? { signal } : {}).catch(() => undefined);
}

/** A path the user gave, from where they ran npm (npm runs the script in the workspace's folder). */
function fromUser(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

/** --profile DIR: the generator's workers' profiles and the local nodes' in folders of their own. */
function profileDirs(dir: string): { generator: string; nodes: string } {
  const root = fromUser(dir);
  return { generator: join(root, 'generator'), nodes: join(root, 'nodes') };
}

function cpuProf(dir: string): string[] {
  return ['--cpu-prof', '--cpu-prof-dir', dir];
}

function workerCount(opts: RunOptions): number {
  if (opts.workers) return opts.workers;
  if (opts.scenario.kind === 'objects') return 1;
  return Math.max(1, Math.ceil(opts.users / LIMITS.socketsPerWorker));
}

async function objectsTarget(opts: RunOptions, cluster: LocalCluster | undefined) {
  const natsUrls = cluster?.natsUrls ?? opts.objectsNats!;
  const auth = cluster?.natsAuth ?? opts.objectsAuth;
  const name =
    cluster?.cluster ??
    (opts.cluster === 'local' ? await discoverCluster(natsUrls, auth).catch(() => 'local') : opts.cluster);
  return { natsUrls, cluster: name, idPrefix: 'lg-sim-', auth };
}

/**
 * Unreachable targets fail the run before any worker starts, with the reason per node. Returns the uWebSockets.js
 * build the nodes report (the one this machine's node_modules would pick may not be the one they loaded).
 */
export async function checkReachable(nodes: readonly string[]): Promise<string | undefined> {
  let uws: string | undefined;
  const problems = await Promise.all(
    nodes.map(async (node) => {
      try {
        const res = await fetch(`${node}/health`, { signal: AbortSignal.timeout(3000) });
        if (res.ok) uws ??= ((await res.json()) as { uws?: string }).uws;
        return res.ok ? undefined : `${node}: GET /health answered ${res.status}`;
      } catch (err) {
        const code = (err as { cause?: { code?: string } }).cause?.code;
        return `${node}: ${code ?? (err as Error).message}`;
      }
    }),
  );
  const bad = problems.filter(Boolean);
  if (bad.length) throw new UsageError(`unreachable target${bad.length > 1 ? 's' : ''}: ${bad.join('; ')}`);
  return uws;
}

function writeOutputs(result: LoadgenResult, opts: RunOptions): SessionOutcome['files'] {
  const dir = fromUser(opts.out ?? join('bench-results', `loadgen-${result.when.replace(/[:.]/g, '-')}`));
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'result.json');
  const html = join(dir, 'report.html');
  writeFileSync(json, `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(html, renderReport(result));
  const { timeline: _t, setup: _s, latency: _l, errors: _e, flags, window: _w, nodes: _n, ...summary } = result;
  report({ ...summary, flags }, opts.json);
  return { json, html, ...(opts.json ? { summary: fromUser(opts.json) } : {}) };
}

function versions(backendUws: string | undefined): Record<string, string> {
  const version = (pkg: string) => {
    const file = join(REPO, 'node_modules', pkg, 'package.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'unknown';
  };
  return {
    loadgen: version('@resident/loadgen'),
    colyseus: version('@colyseus/core'),
    schema: version('@colyseus/schema'),
    uws: backendUws ?? 'unknown (the nodes did not say)',
  };
}
