// --local N: a cluster of N real backend nodes (the game's rooms) on a fresh nats-server for the run, stopped after.

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type GameNodes, startGameNodes } from '@resident/backend/testing/game-nodes';

export interface LocalCluster {
  nodes: string[];
  natsUrls: string[];
  cluster: string;
  stop(): Promise<void>;
}

export async function startLocalCluster(count: number): Promise<LocalCluster> {
  const game: GameNodes = await startGameNodes({ nodes: count, cluster: true, env: { TEST_LOG_LEVEL: 'error' } });
  try {
    const natsUrls = [game.natsUrl!];
    return { nodes: game.urls, natsUrls, cluster: await discoverCluster(natsUrls), stop: () => game.stop() };
  } catch (err) {
    await game.stop();
    throw err;
  }
}

/** The cluster name behind a NATS: the runtime keeps its members in the KV bucket `rsd_<cluster>_members`. */
export async function discoverCluster(natsUrls: string[]): Promise<string> {
  const nc = await connect({ servers: natsUrls, timeout: 5000 });
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
