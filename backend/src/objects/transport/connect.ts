import { type ConnectionOptions, connect, type NatsConnection } from '@nats-io/transport-node';

/**
 * A NATS connection set up for the runtime: reconnects forever (calls fail fast while it is down), and skips the
 * per-request stack capture nats.js does by default, which costs a quarter of the CPU of a KV-heavy node.
 * `options` adds credentials, TLS and the reply prefix (`nodeConnectOptions` in `@resident/shared/nats`).
 */
export function connectNats(
  servers: string[],
  name: string,
  options: Partial<ConnectionOptions> = {},
): Promise<NatsConnection> {
  return connect({
    servers,
    name,
    noAsyncTraces: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
    pingInterval: 5000,
    ...options,
  });
}
