/** Moves encoded batches between nodes. Multi-node always means NATS; the embedded node has no peers. */
export interface Transport {
  /** Queue bytes for a node; implementations batch per destination per event-loop tick. */
  send(node: string, frame: OutboundFrame): void;
  /** False while the connection is down; callers then fail fast with a retryable error. */
  readonly connected: boolean;
  close(): Promise<void>;
}

export type OutboundFrame =
  | { readonly kind: 'call'; readonly call: import('../messaging/envelope.ts').CallFrame }
  | { readonly kind: 'reply'; readonly reply: import('../messaging/envelope.ts').ReplyFrame };

export class NoPeersTransport implements Transport {
  readonly connected = true;

  send(node: string): void {
    throw new Error(`embedded node has no peers; cannot send to ${node}`);
  }

  async close(): Promise<void> {}
}
