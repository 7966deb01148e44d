// The runner's flags. Pure: throws UsageError, never exits or prints.

import { parseArgs } from 'node:util';
import type { MachineLimits } from '../process/machines.ts';

/** 64: a million sockets on one machine of 20,000 open files per process takes ~56 nodes. */
export const MAX_NODES = 64;

export interface ClusterOptions {
  readonly nodes: number;
  readonly nats: 1 | 3;
  readonly basePort: number;
  readonly cluster: string;
  /** The nodes' ports, instead of basePort, basePort + 1, … (not a flag: for loadgen --local). */
  readonly ports?: readonly number[];
  /** Flags every node gets after the runner's own, e.g. raised limits (not a flag: for loadgen --local). */
  readonly nodeArgs?: readonly string[];
  /** Node's own options for every node process, e.g. --cpu-prof (not a flag: for loadgen --local --profile). */
  readonly nodeExecArgv?: readonly string[];
  /** Each node as its own machine: a CPU quota and an open-file limit per node (not a flag: for loadgen:scale). */
  readonly machines?: MachineLimits;
  /** JetStream fsyncs every write before its ack (not a flag: for bench:thesis, level with PostgreSQL's commits). */
  readonly jetstreamSyncAlways?: boolean;
  /** The guest-token secret, instead of RESIDENT_AUTH_SECRET or a new one (not a flag: for loadgen --stateless). */
  readonly secret?: string;
}

export type Command = { readonly help: true } | { readonly help: false; readonly options: ClusterOptions };

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: npm run cluster -- [options]
Starts nats-server (JetStream) and backend nodes on this machine; Ctrl-C stops them all (twice: at once).
  --nodes N        backend nodes, 1-${MAX_NODES} (default 3), named node1, node2, …
  --nats 1|3       nats-servers (default 3); with 3, the JetStream buckets get 3 replicas
  --base-port P    node1's HTTP/WebSocket port; the others take P+1, P+2, … (default 2567)
  --cluster NAME   cluster name, 1-32 of A-Z a-z 0-9 _ - (default "local")
  -h, --help       show this help`;

const OPTIONS = {
  nodes: { type: 'string' },
  nats: { type: 'string' },
  'base-port': { type: 'string' },
  cluster: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseCli(argv: readonly string[]): Command {
  const values = parseFlags(argv);
  if (values.help) return { help: true };
  const nodes = parseInteger(values.nodes, '--nodes', 3, 1, MAX_NODES);
  const basePort = parseInteger(values['base-port'], '--base-port', 2567, 1, 65535);
  if (basePort + nodes - 1 > 65535) {
    throw new UsageError(`--base-port ${basePort} leaves no room for ${nodes} nodes (the last port would be > 65535)`);
  }
  return {
    help: false,
    options: { nodes, nats: parseNats(values.nats), basePort, cluster: parseName(values.cluster) },
  };
}

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    // Node's own wording is good except for unknown options, where it suggests passing them as positionals.
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '([^']*)'/.exec(message);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) throw new UsageError(`unknown option ${unknown[1]}`);
    throw new UsageError(message);
  }
}

function parseInteger(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

// 2 servers would be worse than 1: a JetStream cluster of 2 stops when either one is down.
function parseNats(raw: string | undefined): 1 | 3 {
  if (raw === undefined || raw === '3') return 3;
  if (raw === '1') return 1;
  throw new UsageError(`--nats must be 1 or 3, got ${JSON.stringify(raw)}`);
}

// Same rule as the node's own --cluster: the name ends up in NATS subjects and bucket names.
function parseName(raw: string | undefined): string {
  if (raw === undefined) return 'local';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(raw)) {
    throw new UsageError(`--cluster must be 1-32 characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(raw)}`);
  }
  return raw;
}
