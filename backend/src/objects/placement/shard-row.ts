import { isNodeId } from '../membership/member.ts';
import { parseBoundedJson } from '../transport/bounded-json.ts';

/** Who owns a shard: the owner's id and incarnation, and how many times the row changed hands. */
export interface Ownership {
  readonly owner: string;
  readonly incarnation: string;
  readonly epoch: number;
}

export type DecodedRow = { readonly row: Ownership } | { readonly problem: string };

const MAX_ROW_BYTES = 512;
const encoder = new TextEncoder();

export function encodeRow(value: Ownership): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** A row read from the shards bucket, checked field by field; anything else says why it is not a row. */
export function decodeRow(data: Uint8Array): DecodedRow {
  const json = parseBoundedJson(data, MAX_ROW_BYTES);
  if ('problem' in json) return json;
  const parsed = json.value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'not an object' };
  const { owner, incarnation, epoch } = parsed as Record<string, unknown>;
  if (!isNodeId(owner)) return { problem: 'owner is not a node id' };
  if (!isNodeId(incarnation)) return { problem: 'incarnation is not a 1-64 character token' };
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 0) return { problem: 'epoch is not a non-negative integer' };
  return { row: { owner, incarnation, epoch: epoch as number } };
}

/** The bucket key of a shard, and back: only the exact form `s<n>` names a shard (not `s007`, not `s1e2`). */
export function shardKey(shard: number): string {
  return `s${shard}`;
}

export function shardOfKey(key: string, shards: number): number | undefined {
  const shard = Number(key.slice(1));
  return Number.isInteger(shard) && shard >= 0 && shard < shards && key === shardKey(shard) ? shard : undefined;
}
