// nats-server processes on this machine: for the cluster runner's NATS supervisor, and for tests and benchmarks
// through @resident/testing.
export { type NatsCluster, type NatsSecurityOptions, startNats, startNatsCluster } from './cluster.ts';
export { findNatsServer, type NatsServerHandle } from './server.ts';
