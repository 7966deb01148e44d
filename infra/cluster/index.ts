// A local cluster (NATS with generated nkeys, backend nodes) for commands other than `npm run cluster`.
export { type ClusterOptions, MAX_NODES } from './cli.ts';
export { LocalCluster, printerFor } from './cluster.ts';
export { clusterSecret, type RunningNode } from './nodes.ts';
