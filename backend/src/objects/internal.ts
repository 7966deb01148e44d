// The runtime's internals, for the node wiring (backend/src/node), the Colyseus glue (backend/src/colyseus), the
// benchmarks and the tests. Game code imports index.ts only; nothing outside this folder imports any other module of
// it (backend/test/objects/entry-points.test.ts checks).

export type { Catalog } from './catalog/catalog.ts';
export { decodeStateRecord, encodeStateRecord } from './catalog/state-record.ts';
export type { ObjectTurn } from './catalog/turn.ts';
export { DropReporter } from './drop-reporter.ts';
export { type ResidentError, toResidentError } from './errors.ts';
export { beatSubject } from './membership/beat-loop.ts';
export { isActiveHost, type MemberInfo, type Membership } from './membership/member.ts';
export { MemberEntryCodec } from './membership/member-entry.ts';
export { CallSeqs } from './messaging/call-seqs.ts';
export { type CallFrame, decodeBatch, encodeBatch } from './messaging/envelope.ts';
export { packValue, unpackValue } from './messaging/payload.ts';
export { MAX_REMEMBERED_CALLS, MAX_REMEMBERED_REPLY_BYTES, RecentCalls } from './messaging/recent-calls.ts';
export { RuntimeMetrics } from './metrics.ts';
export { rendezvous, shardOf } from './placement/hash.ts';
export type { Placement, ShardStatus } from './placement/placement.ts';
export { ShardTable } from './placement/shard-table.ts';
export { ClassRegistry } from './registry.ts';
export type { ResidentMembers } from './resident-class.ts';
export { Dispatcher } from './runtime/dispatch.ts';
export { resolveOptions } from './runtime/options.ts';
export { internals, RuntimeImpl } from './runtime/runtime-impl.ts';
export { decodeStateKey, encodeStateKey, KvStateStore, type KvStateStoreOptions } from './storage/kv-store.ts';
export { LmdbStateStore } from './storage/lmdb-store.ts';
export { MemoryStateStore } from './storage/memory-store.ts';
export type { Revision } from './storage/state-store.ts';
export { AckPipeline, NoStreamResponded } from './transport/ack-pipeline.ts';
export type { AppendStats } from './transport/batched-appends.ts';
export { parseBoundedJson } from './transport/bounded-json.ts';
export { CasBucket, type WriteBatches } from './transport/cas-bucket.ts';
export { CommitPolicy } from './transport/commit-policy.ts';
export { connectNats } from './transport/connect.ts';
export { KvMirror } from './transport/kv-mirror.ts';
export { inboxSubject, NatsTransport } from './transport/nats-transport.ts';
export { detectServerFeatures, type ServerFeatures, serverFeatures } from './transport/server-features.ts';
