// The arena room's state as the SDK decodes it by reflection (the server's schema; see the backend's ArenaState).
// Only the parts the client reads; collections are the SDK's MapSchema/ArraySchema, read through these shapes.

export interface BlobView {
  id: string;
  name: string;
  color: number;
  x: number;
  y: number;
  mass: number;
  ack: number;
  alive: boolean;
}

export interface PelletView {
  x: number;
  y: number;
  color: number;
}

export interface ReadonlyMapLike<V> {
  get(key: string): V | undefined;
  forEach(fn: (value: V, key: string) => void): void;
  readonly size: number;
}

export interface ArenaStateView {
  node: string;
  code: string;
  tick: number;
  blobs: ReadonlyMapLike<BlobView>;
  pellets: ReadonlyMapLike<PelletView>;
  top: ArrayLike<{ name: string; mass: number }> & Iterable<{ name: string; mass: number }>;
}
