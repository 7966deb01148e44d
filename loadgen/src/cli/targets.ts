// --targets: node URLs (comma-separated) or a cluster file; only loopback hosts unless named with --allow-host.

import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UsageError } from './usage-error.ts';

export interface TargetSet {
  /** Base URLs: http://host:port */
  nodes: string[];
  /** From a cluster file: the cluster's NATS and name (the objects scenario needs them). */
  nats?: string[];
  cluster?: string;
}

/**
 * A cluster file is JSON `{ "nodes": ["http://127.0.0.1:2567", …], "nats": ["nats://127.0.0.1:4222"],
 * "cluster": "local" }`, or plain text with one node URL per line.
 */
export function parseTargets(raw: string, allowHosts: readonly string[]): TargetSet {
  const looksLikeUrls = /^(https?|wss?):\/\//.test(raw.trim());
  const set = looksLikeUrls
    ? {
        nodes: raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      }
    : readClusterFile(raw);
  if (set.nodes.length === 0) throw new UsageError(`--targets ${raw}: no node URLs`);
  const nodes = set.nodes.map((u) => normalizeUrl(u, raw));
  for (const url of [...nodes, ...(set.nats ?? [])]) checkHost(url, allowHosts);
  return { ...set, nodes: [...new Set(nodes)] };
}

function readClusterFile(file: string): TargetSet {
  if (!existsSync(file)) {
    throw new UsageError(
      `--targets: ${JSON.stringify(file)} is neither node URLs (http://host:port,…) nor an existing cluster file`,
    );
  }
  const text = readFileSync(file, 'utf8');
  if (!text.trim().startsWith('{')) {
    return {
      nodes: text
        .split(/\r?\n/)
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean),
    };
  }
  let json: { nodes?: unknown; nats?: unknown; cluster?: unknown };
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--targets ${file}: not valid JSON (${(err as Error).message})`);
  }
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (!strings(json.nodes)) throw new UsageError(`--targets ${file}: "nodes" must be a list of URLs`);
  if (json.nats !== undefined && !strings(json.nats))
    throw new UsageError(`--targets ${file}: "nats" must be a list of URLs`);
  if (json.cluster !== undefined && typeof json.cluster !== 'string')
    throw new UsageError(`--targets ${file}: "cluster" must be a string`);
  return {
    nodes: json.nodes as string[],
    ...(json.nats ? { nats: json.nats as string[] } : {}),
    ...(json.cluster ? { cluster: json.cluster as string } : {}),
  };
}

function normalizeUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw.replace(/^ws/, 'http'));
  } catch {
    throw new UsageError(`--targets ${source}: ${JSON.stringify(raw)} is not a URL (expected http://host:port)`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`--targets: ${raw}: only http:// (ws://) nodes are supported`);
  return `http://${url.host}`;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Refuses non-loopback hosts unless allowed: a load test pointed at the wrong host is an attack. */
export function checkHost(url: string, allowHosts: readonly string[]): void {
  const host = new URL(url).hostname;
  if (isLoopback(host) || allowHosts.includes(host.replace(/^\[|\]$/g, ''))) return;
  throw new UsageError(
    `refusing non-loopback target ${host} (${url}): name it with --allow-host ${host} if you mean it`,
  );
}
