// nats-server processes on this machine: for the cluster runner's NATS supervisor, and for tests and benchmarks
// through @resident/testing.

export { findNatsServer } from '@resident/shared/nats';
export { type NatsCluster, type NatsSecurityOptions, startNats, startNatsCluster } from './cluster.ts';
export type { NatsServerHandle } from './server.ts';
