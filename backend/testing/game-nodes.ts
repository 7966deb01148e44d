// Real game nodes for tests (browser, loadgen, game): N node processes serving the arena, either one embedded node
// (LMDB, no NATS) or a cluster on a nats-server; free ports, temp folders, everything stopped by `stop()`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalCredentials } from '@resident/shared/nats';
import {
  freePort,
  type NatsCluster,
  type NatsSecurityOptions,
  startNats,
  startNatsCluster,
  waitAllReady,
} from '@resident/testing';
import { TEST_SECRET } from './colyseus-cluster.ts';
import { NodeProcess } from './runtime-cluster.ts';

const SCRIPT = fileURLToPath(new URL('./colyseus-node.ts', import.meta.url));

export interface GameNodesOptions {
  nodes: number;
  /** true: nodes on nats-server (KV state); false: one embedded node (LMDB, no NATS). */
  cluster: boolean;
  natsServers?: 1 | 3;
  /** The built browser client to serve at `/`. */
  clientDir?: string;
  /** Room checkpoint interval (cluster). Default 200 ms, so failover tests lose little. */
  checkpointMs?: number;
  /** NATS with authentication and the roles' permissions; each node connects with the node role's nkey. */
  secure?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface GameNodes {
  readonly urls: string[];
  readonly nodeIds: string[];
  readonly natsUrl: string | undefined;
  readonly nats: NatsCluster | undefined;
  /** The cluster name the nodes use on NATS (for object-runtime clients such as the load generator). */
  readonly cluster: string | undefined;
  readonly secret: string;
  /** With `secure`: the roles' nkey seed files (the objects scenario connects as a node). */
  readonly credentials: LocalCredentials | undefined;
  /** The OS process id of node i (to read its memory use). */
  pid(i: number): number | undefined;
  /** SIGKILL node i. */
  kill(i: number): Promise<void>;
  /** SIGTERM node i: it drains (moves its rooms and objects) and exits. */
  drain(i: number): Promise<void>;
  /** Starts node i again with the same id, port and data. */
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startGameNodes(opts: GameNodesOptions): Promise<GameNodes> {
  if (!opts.cluster && opts.nodes !== 1) throw new Error('an embedded (no NATS) setup has exactly one node');
  const cluster = `g${Math.random().toString(36).slice(2, 8)}`;
  const security: NatsSecurityOptions = opts.secure ? { auth: { cluster } } : {};
  const nats: NatsCluster | undefined = opts.cluster
    ? opts.natsServers === 3
      ? await startNatsCluster({ size: 3, ...security })
      : await startNats(security)
    : undefined;
  const dataRoot = mkdtempSync(join(tmpdir(), 'resident-game-'));
  const procs: NodeProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await nats?.close();
    rmSync(dataRoot, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < opts.nodes; i++) {
      const id = `node${i + 1}`;
      const port = await freePort();
      const args = ['--node-id', id, '--port', String(port), '--public-address', `127.0.0.1:${port}`];
      args.push('--data-dir', join(dataRoot, id));
      if (nats) args.push('--nats', nats.urls.join(','), '--cluster', cluster);
      if (nats?.credentials) args.push('--nats-nkey', nats.credentials.seedFiles.node);
      if (opts.clientDir) args.push('--client-dir', opts.clientDir);
      const env = {
        RESIDENT_TEST_ROOMS: 'game',
        RESIDENT_AUTH_SECRET: TEST_SECRET,
        RESIDENT_CHECKPOINT_MS: String(opts.checkpointMs ?? 200),
        // Tests and the load generator log many guests in, and seat them, from a few loopback addresses.
        RESIDENT_LOGIN_RATE: '1000000',
        RESIDENT_SEATS_PER_ADDRESS: '1000000',
        RESIDENT_ROOMS_PER_ADDRESS: '1000000',
        ...opts.env,
      };
      const proc = new NodeProcess(id, env, SCRIPT, args);
      await proc.start();
      procs.push(proc);
      ports.push(port);
    }
    // Each node was ready when it started, but the earlier ones then hand shards to the later ones: wait until every
    // node says placement has settled, so the first calls do not wait on shard moves.
    await waitAllReady(
      procs.map((p, i) => p.readyTarget(`http://127.0.0.1:${ports[i]}`)),
      undefined,
      60_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const at = (i: number) => {
    const p = procs[i];
    if (!p) throw new Error(`no node ${i}`);
    return p;
  };
  return {
    urls: ports.map((p) => `http://127.0.0.1:${p}`),
    nodeIds: procs.map((p) => p.id),
    natsUrl: nats?.urls[0],
    nats,
    cluster: nats ? cluster : undefined,
    secret: TEST_SECRET,
    credentials: nats?.credentials,
    pid: (i) => at(i).pid,
    kill: (i) => at(i).kill(),
    drain: (i) => at(i).drain(),
    restart: async (i) => {
      await at(i).kill();
      await at(i).start();
    },
    stop,
  };
}
