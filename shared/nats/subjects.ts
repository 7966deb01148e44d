// The NATS names one Resident cluster uses: its subject namespace, its KV buckets (and their streams), and the
// subjects of the load generator. Nodes, roles, tests and docs all take the names from here.

/** Cluster names end up in subjects and bucket names: 1-32 of A-Z a-z 0-9 _ -. */
export const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** Every KV bucket a cluster keeps, as `rsd_<cluster>_<kind>`. */
export const BUCKETS = ['members', 'shards', 'state', 'rooms'] as const;
export type BucketKind = (typeof BUCKETS)[number];

export function checkClusterName(cluster: string): string {
  if (!CLUSTER_NAME.test(cluster)) {
    throw new RangeError(`invalid cluster name ${JSON.stringify(cluster)}: use 1-32 of A-Z a-z 0-9 _ -`);
  }
  return cluster;
}

/** Every core subject of a cluster starts with this: calls, presence, room moves, replies, stats. */
export const clusterPrefix = (cluster: string): string => `rsd.${cluster}`;

export const bucketName = (cluster: string, kind: BucketKind): string => `rsd_${cluster}_${kind}`;

/** The JetStream stream behind a KV bucket. */
export const streamOf = (bucket: string): string => `KV_${bucket}`;

/**
 * Where a node's request replies (core requests and JetStream API answers, KV watch deliveries) arrive. Inside the
 * cluster's namespace, so the node role needs no `_INBOX.>` (which would let it read every other client's replies).
 */
export const replyPrefix = (cluster: string): string => `${clusterPrefix(cluster)}.reply`;

/** A node's periodic stats summary, the only thing the metrics role may read. */
export const statsSubject = (cluster: string, node: string): string => `${clusterPrefix(cluster)}.stats.${node}`;

/** The load generator's coordinator and workers talk on `loadgen.>` only. */
export const LOADGEN_PREFIX = 'loadgen';
