export { decodeStateKey, encodeStateKey, KvStateStore, type KvStateStoreOptions } from './kv-store.ts';
export { LmdbStateStore } from './lmdb-store.ts';
export { MemoryStateStore } from './memory-store.ts';
export { type Revision, RevisionConflict, type StateStore, type StoredState } from './state-store.ts';
