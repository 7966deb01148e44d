// Child process of the runner that owns the nats-servers, started by ../nats (temp dirs, free ports,
// everything killed when this process exits), with authentication and the roles' permissions for the cluster's
// name (generated nkeys, route passwords). Usage: nats-supervisor.ts <servers: 1|3> <cluster> [sync-always].
// It runs in its own process group, so a Ctrl-C in the terminal does not stop NATS under draining nodes; the
// runner stops it by closing our stdin, which also happens when the runner dies.

import { type NatsCluster, startNats, startNatsCluster } from '../nats/index.ts';
import { encode, type NatsMessage } from './nats-messages.ts';
import { FileTail } from './tail.ts';

const WATCH_MS = 500;

let nats: NatsCluster | undefined;
let stopping = false;

function send(message: NatsMessage): void {
  process.stdout.write(`${encode(message)}\n`);
}

async function start(size: number, cluster: string, syncAlways: boolean): Promise<NatsCluster> {
  const auth = { cluster };
  return size === 1 ? startNats({ auth, syncAlways }) : startNatsCluster({ size, auth, syncAlways });
}

/** Log lines of every server, and a word when one dies without being asked to. */
function watch(cluster: NatsCluster): FileTail[] {
  const tails = cluster.servers.map(
    (s, server) => new FileTail(s.logFile, (line) => send({ type: 'log', server, line })),
  );
  const pids = cluster.servers.map((s) => s.pid ?? 0);
  const reported = new Set<number>();
  setInterval(() => {
    cluster.servers.forEach((s, server) => {
      if (stopping || s.running || reported.has(server)) return;
      reported.add(server);
      send({ type: 'exited', server, pid: pids[server] ?? 0 });
    });
  }, WATCH_MS);
  return tails;
}

async function stop(tails: readonly FileTail[]): Promise<never> {
  stopping = true;
  if (nats) {
    // SIGTERM first (the harness escalates to SIGKILL if one hangs), so the servers log a clean shutdown.
    await Promise.all(nats.servers.map((s) => s.stop()));
    await Promise.all(tails.map((t) => t.stop()));
    await nats.close();
  }
  process.exit(0);
}

async function main(): Promise<void> {
  const size = Number(process.argv[2]);
  const cluster = process.argv[3] ?? '';
  let tails: FileTail[] = [];
  // Listen before starting: the runner may give up while the servers are still starting.
  process.stdin.on('end', () => void stop(tails));
  process.stdin.resume();
  // Once the runner is gone, nobody reads our output; that must not crash us before we clean up.
  process.stdout.on('error', () => {});
  nats = await start(size, cluster, process.argv[4] === 'sync-always');
  if (stopping) return;
  tails = watch(nats);
  send({
    type: 'ready',
    servers: nats.servers.map((s) => ({ url: s.url, monitorUrl: s.monitorUrl, pid: s.pid ?? 0 })),
    seedFiles: nats.credentials!.seedFiles,
  });
}

main().catch((err: unknown) => {
  // The harness's message names the server and ends with its log; its exit hook kills whatever did start.
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
