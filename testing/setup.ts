// setup() and cleanup(), as nats.js's test_helpers has them: a fresh NATS (one server or a cluster) and client
// connections to it, then everything closed again, connections first.

import { type ConnectionOptions, connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsCluster, type NatsSecurityOptions, startNats, startNatsCluster } from '@resident/infra/nats';

export interface SetupOptions extends NatsSecurityOptions {
  /** nats-servers: 1 (default), or a JetStream cluster of 3. */
  readonly servers?: 1 | 3;
  /** Options of the client connection (its servers are the cluster's). */
  readonly client?: Omit<ConnectionOptions, 'servers'>;
}

export interface Setup {
  readonly nats: NatsCluster;
  readonly nc: NatsConnection;
}

export async function setup(opts: SetupOptions = {}): Promise<Setup> {
  const { servers, client, ...security } = opts;
  const nats = servers === 3 ? await startNatsCluster({ size: 3, ...security }) : await startNats(security);
  try {
    return { nats, nc: await connect({ ...client, servers: nats.urls }) };
  } catch (err) {
    await nats.close();
    throw err;
  }
}

/** Closes the connections (whatever state they are in), then stops and removes the servers. */
export async function cleanup(nats: NatsCluster, ...connections: NatsConnection[]): Promise<void> {
  await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
  await nats.close();
}
