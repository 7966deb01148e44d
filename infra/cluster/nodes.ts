// Backend nodes as child processes: `backend/src/node/main.ts` with the flags that make them one cluster.

import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Child, nodeScriptArgs } from '../process/child.ts';
import type { Machines } from '../process/machines.ts';
import type { ClusterOptions } from './cli.ts';
import type { Printer } from './output.ts';

const NODE_MAIN = fileURLToPath(new URL('../../backend/src/node/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A node hands its objects over before it exits; that takes a few seconds, not this long. */
const STOP_TIMEOUT_MS = 20_000;

export interface NodeSpec {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  readonly url: string;
}

export interface RunningNode extends NodeSpec {
  readonly child: Child;
}

export function planNodes(options: ClusterOptions): NodeSpec[] {
  return Array.from({ length: options.nodes }, (_, i) => {
    const port = options.ports?.[i] ?? options.basePort + i;
    const address = `127.0.0.1:${port}`;
    return { name: `node${i + 1}`, port, address, url: `http://${address}` };
  });
}

export function nodeFlags(
  spec: NodeSpec,
  natsUrls: readonly string[],
  nodeSeed: string,
  options: ClusterOptions,
): string[] {
  const flags = ['--nats', natsUrls.join(','), '--nats-nkey', nodeSeed, '--node-id', spec.name];
  flags.push('--port', String(spec.port));
  flags.push('--public-address', spec.address, '--cluster', options.cluster, '--store', 'kv');
  // One replica per server: with 3 servers the cluster's state survives losing one of them.
  if (options.nats === 3) flags.push('--replicas', '3');
  flags.push(...(options.nodeArgs ?? []));
  return flags;
}

/**
 * Guest tokens must verify on every node, so the nodes share one secret: RESIDENT_AUTH_SECRET if set, else one
 * generated for this run (tokens then last as long as the run). Passed by environment, not visible in `ps`.
 */
export const clusterSecret = (env: NodeJS.ProcessEnv = process.env): string =>
  env.RESIDENT_AUTH_SECRET ?? randomBytes(32).toString('base64url');

export interface NodeProcessOptions {
  /** Its open-file limit from the first instruction, in its own cgroup from spawn (the quota comes once it is ready). */
  machines?: Machines | undefined;
  /** Node's own options, e.g. --cpu-prof. */
  execArgv?: readonly string[] | undefined;
}

export function startNode(
  spec: NodeSpec,
  flags: readonly string[],
  printer: Printer,
  secret: string,
  { machines, execArgv }: NodeProcessOptions = {},
): RunningNode {
  const args = nodeScriptArgs(NODE_MAIN, flags, execArgv);
  const command = machines ? machines.wrap(process.execPath, args) : { command: process.execPath, args };
  const child = new Child({
    name: spec.name,
    ...command,
    cwd: REPO_ROOT,
    env: { RESIDENT_AUTH_SECRET: secret },
    onLine: (stream, line) => printer.line(spec.name, stream, line),
  });
  if (machines && child.pid !== undefined) placeOrKill(machines, spec.name, child);
  return { ...spec, child };
}

/** A node that could not be given its machine must not run unlimited as if it had one. */
function placeOrKill(machines: Machines, name: string, child: Child): void {
  try {
    machines.place(name, child.pid!);
  } catch (err) {
    child.signalGroup('SIGKILL');
    throw err;
  }
}

export interface StopOptions {
  readonly timeoutMs?: number;
  /** Set when the whole cluster is being killed: then this stop has nothing more to say. */
  readonly killed: AbortSignal;
}

/** SIGTERM (the node drains), bounded; true if it exited cleanly in time, else it was killed. */
export async function stopNode(node: RunningNode, printer: Printer, opts: StopOptions): Promise<boolean> {
  const timeoutMs = opts.timeoutMs ?? STOP_TIMEOUT_MS;
  if (!node.child.running) return true;
  node.child.signal('SIGTERM');
  const exited = await node.child.waitExit(timeoutMs);
  if (opts.killed.aborted) return false;
  if (exited) {
    // A node still starting has no handler yet, and SIGTERM simply ends it: nothing to drain, so that is fine too.
    const status = node.child.describeExit();
    const clean = status === 'exit code 0' || status === 'killed by SIGTERM';
    if (!clean) printer.alert(`${node.name} did not stop cleanly: ${status}`);
    return clean;
  }
  printer.alert(`${node.name} did not stop within ${timeoutMs / 1000} s of SIGTERM: killing it`);
  node.child.signalGroup('SIGKILL');
  await node.child.exited;
  return false;
}
