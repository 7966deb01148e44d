/** FNV-1a over UTF-16 code units: fast, stable across nodes and processes, good enough spread for placement. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // final avalanche (murmur3 fmix32), so similar ids land on unrelated shards
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function shardOf(id: string, shards: number): number {
  return hash32(id) % shards;
}

/** Rendezvous (highest random weight) hashing: every node computes the same owner from the same member list. */
export function rendezvous(shard: number, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const node of nodes) {
    const score = hash32(node, hash32(`shard:${shard}`));
    if (score > bestScore || (score === bestScore && best !== undefined && node < best)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}
