// The node's NATS connection: credentials, TLS and reply prefix from the config. A refusal over credentials or TLS,
// or a credential without the node role of this cluster, becomes a ConfigError naming the setting, which main.ts
// prints as one line.

import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { explainConnectFailure, nodeConnectOptions } from '@resident/shared/nats';
import { connectNats } from '../objects/internal.ts';
import { ConfigError, type NodeConfig } from './config.ts';

export async function connectNode(config: NodeConfig): Promise<NatsConnection> {
  const auth = config.natsAuth;
  let nc: NatsConnection;
  try {
    nc = await connectNats(config.natsUrls, config.nodeId, nodeConnectOptions(config.cluster, auth));
  } catch (err) {
    // Any failure to connect is a setting to fix (orchestrators restart the node): say which, in one line.
    const line = (auth && explainConnectFailure(err, auth)) || unreachable(err, config.natsUrls);
    throw new ConfigError(line);
  }
  try {
    await checkNodeRole(nc, config);
  } catch (err) {
    await nc.close();
    throw err;
  }
  return nc;
}

function unreachable(err: unknown, urls: readonly string[]): string {
  const why = err instanceof Error ? err.message : String(err);
  return `cannot reach NATS at ${urls.join(',')} (--nats, NATS_URL): ${why}`;
}

/** One JetStream round trip with the node's reply prefix, so a wrong role or cluster fails here, not mid-join. */
async function checkNodeRole(nc: NatsConnection, config: NodeConfig): Promise<void> {
  try {
    await jetstreamManager(nc);
  } catch (err) {
    if (!(err instanceof Error && /permissions violation/i.test(err.message))) throw err;
    const where = config.natsAuth?.credential ? ` in ${config.natsAuth.credential}` : '';
    throw new ConfigError(
      `the NATS credential${where} lacks the node role of cluster "${config.cluster}" (${err.message}); see docs/NATS-SECURITY.md`,
    );
  }
}
