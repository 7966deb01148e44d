// The roles that connect to a Resident NATS and the subjects each may publish and subscribe to. The server config
// (server-config.ts), the nsc commands (nsc.ts), the docs and the tests are all rendered from these lists.

import {
  BUCKETS,
  bucketName,
  checkClusterName,
  clusterPrefix,
  LOADGEN_PREFIX,
  statsSubject,
  streamOf,
} from './subjects.ts';

export const ROLES = ['node', 'loadgen', 'metrics'] as const;
export type Role = (typeof ROLES)[number];

export interface SubjectRules {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

export interface RolePermissions {
  readonly publish: SubjectRules;
  readonly subscribe: SubjectRules;
  /** Publish once to the reply subject of a request received (nats-server `allow_responses`). */
  readonly allowResponses: boolean;
}

export function permissionsFor(role: Role, cluster: string): RolePermissions {
  checkClusterName(cluster);
  if (role === 'node') return nodePermissions(cluster);
  if (role === 'loadgen') {
    const own = [`${LOADGEN_PREFIX}.>`];
    return { publish: { allow: own }, subscribe: { allow: own }, allowResponses: false };
  }
  return {
    publish: { deny: ['>'] },
    subscribe: { allow: [statsSubject(cluster, '*')] },
    allowResponses: false,
  };
}

/**
 * The core namespace (calls, presence, room moves, stats, and replies: a node's replies use the cluster's reply
 * prefix, so answering another node needs no `allow_responses`), and JetStream for the cluster's buckets only, as
 * nats.js 3 uses it on nats-server 2.9+: account info (`$JS.API.INFO`, checked by the JetStream manager); create and
 * read each bucket's stream; write its keys; read a key, directly (`DIRECT.GET.<stream>.<key>`, single-replica
 * buckets) or through the leader (`STREAM.MSG.GET`, replicated ones); read many keys in one batch direct get
 * (`DIRECT.GET.<stream>` with `multi_last`, nats-server 2.11+); watch it with an ordered consumer
 * (`CONSUMER.CREATE.<stream>.<name>.<filter>`, deleted and re-created on a gap, flow-control answers on `$JS.FC`).
 * No ack subjects (watches ack nothing), and no stream may be updated, deleted, purged or listed.
 */
function nodePermissions(cluster: string): RolePermissions {
  const core = `${clusterPrefix(cluster)}.>`;
  const publish = [core, '$JS.API.INFO'];
  for (const kind of BUCKETS) {
    const bucket = bucketName(cluster, kind);
    const stream = streamOf(bucket);
    publish.push(
      `$KV.${bucket}.>`,
      `$JS.API.STREAM.CREATE.${stream}`,
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.STREAM.MSG.GET.${stream}`,
      `$JS.API.DIRECT.GET.${stream}.>`,
      `$JS.API.DIRECT.GET.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.DELETE.${stream}.*`,
      `$JS.FC.${stream}.>`,
    );
  }
  return { publish: { allow: publish }, subscribe: { allow: [core] }, allowResponses: false };
}
