// What the user sees once the cluster is ready: where everything is, and how to stop it.

import type { Role } from '@resident/shared/nats';
import type { ClusterOptions } from './cli.ts';
import { serverName } from './nats.ts';
import type { ServerInfo } from './nats-messages.ts';
import type { RunningNode } from './nodes.ts';

export interface SummaryInput {
  readonly options: ClusterOptions;
  readonly servers: readonly ServerInfo[];
  readonly supervisorPid: number | undefined;
  readonly nodes: readonly RunningNode[];
  readonly seedFiles: Readonly<Record<Role, string>> | undefined;
}

/** Also machine-read: tests find `pids:` and every URL here. */
export function renderSummary({ options, servers, supervisorPid, nodes, seedFiles }: SummaryInput): string {
  const replicas = options.nats === 3 ? '3 replicas' : '1 replica';
  const pids = [supervisorPid, ...servers.map((s) => s.pid), ...nodes.map((n) => n.child.pid)];
  return [
    `cluster "${options.cluster}" is ready: ${nodes.length} node(s) on ${servers.length} nats-server(s), JetStream with ${replicas}`,
    `NATS client URLs: ${servers.map((s) => s.url).join(',')}`,
    ...servers.map((s, i) => `  ${serverName(i)}  ${s.url}  monitor ${s.monitorUrl}  pid ${s.pid}`),
    ...describeAuth(seedFiles),
    ...nodes.flatMap(describeNode),
    `pids: ${pids.filter((pid) => pid !== undefined).join(' ')}`,
    `stop: Ctrl-C (or kill -TERM ${process.pid}): the nodes drain, then NATS stops; Ctrl-C twice kills everything now`,
  ].join('\n');
}

/** Where each role's nkey is, so tooling can connect with the right role (docs/NATS-SECURITY.md). */
function describeAuth(seedFiles: SummaryInput['seedFiles']): string[] {
  if (!seedFiles) return [];
  const roles = Object.entries(seedFiles).map(([role, file]) => `  ${role} nkey ${file}`);
  return ['NATS auth: on (nkeys, per-role permissions; anonymous clients are refused)', ...roles];
}

function describeNode(node: RunningNode): string[] {
  const probes = ['health', 'ready', 'metrics'].map((path) => `${node.url}/${path}`).join('  ');
  return [`${node.name}  HTTP ${node.url}  WebSocket ws://${node.address}  pid ${node.child.pid}`, `  ${probes}`];
}
