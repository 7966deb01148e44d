// --local N: a cluster of N real backend nodes (the game's rooms) on a fresh nats-server for the run, stopped after.

// NATS runs with authentication and the roles' permissions; the node role's nkey is in the run's temp folder.

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type GameNodes, startGameNodes } from '@resident/backend/testing/game-nodes';
import { loadNatsClientAuth, type NatsClientSettings } from '@resident/shared/nats';

export interface LocalCluster {
  nodes: string[];
  natsUrls: string[];
  cluster: string;
  /** The node role's credentials, for the objects scenario's runtime clients. */
  natsAuth: NatsClientSettings;
  stop(): Promise<void>;
}

export async function startLocalCluster(count: number): Promise<LocalCluster> {
  const game: GameNodes = await startGameNodes({
    nodes: count,
    cluster: true,
    secure: true,
    env: { TEST_LOG_LEVEL: 'error' },
  });
  const seed = game.credentials!.seedFiles.node;
  return {
    nodes: game.urls,
    natsUrls: [game.natsUrl!],
    cluster: game.cluster!,
    natsAuth: { 'nats-nkey': { value: seed, name: 'the local cluster node nkey' } },
    stop: () => game.stop(),
  };
}

/**
 * The cluster name behind a NATS: the runtime keeps its members in the KV bucket `rsd_<cluster>_members`. Listing
 * streams is outside the node role, so on a NATS with permissions this fails and the cluster must be named.
 */
export async function discoverCluster(natsUrls: string[], auth: NatsClientSettings): Promise<string> {
  const nc = await connect({ servers: natsUrls, timeout: 5000, ...loadNatsClientAuth(auth).options });
  try {
    const names: string[] = [];
    for await (const stream of (await jetstreamManager(nc)).streams.names()) {
      const m = /^KV_rsd_(.+)_members$/.exec(stream);
      if (m) names.push(m[1]!);
    }
    if (names.length !== 1) {
      throw new Error(
        `NATS ${natsUrls.join(',')} holds ${names.length ? `clusters ${names.join(', ')}` : 'no cluster'}: name one with --cluster`,
      );
    }
    return names[0]!;
  } finally {
    await nc.close();
  }
}
