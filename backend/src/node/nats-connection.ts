// The node's NATS connection: credentials, TLS and reply prefix from the config; a refusal over credentials or TLS
// becomes a ConfigError naming the setting, which main.ts prints as one line.

import type { NatsConnection } from '@nats-io/transport-node';
import { explainConnectFailure, nodeConnectOptions } from '@resident/shared/nats';
import { connectNats } from '../objects/transport/connect.ts';
import { ConfigError, type NodeConfig } from './config.ts';

export async function connectNode(config: NodeConfig): Promise<NatsConnection> {
  const auth = config.natsAuth;
  try {
    return await connectNats(config.natsUrls, config.nodeId, nodeConnectOptions(config.cluster, auth));
  } catch (err) {
    const line = auth && explainConnectFailure(err, auth);
    throw line ? new ConfigError(line) : err;
  }
}
