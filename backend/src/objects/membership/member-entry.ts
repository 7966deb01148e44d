import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { parseBoundedJson } from '../transport/bounded-json.ts';
import {
  isNodeId,
  MEMBER_ROLES,
  MEMBER_STATUSES,
  type MemberInfo,
  type MemberRole,
  type MemberStatus,
} from './member.ts';

/** One heartbeat as written to the members bucket. */
export interface MemberEntry {
  readonly info: MemberInfo;
  /** Counts this incarnation's heartbeats: an entry that is not newer than one already seen is a replay. */
  readonly seq: number;
  /** The member's last word: it left the cluster on purpose. */
  readonly left: boolean;
}

export type DecodedEntry = { readonly entry: MemberEntry } | { readonly kind: string; readonly problem: string };

/** The smallest membership key accepted: an HMAC-SHA256 key shorter than this is guessable. */
export const MIN_KEY_BYTES = 32;
const MAX_ENTRY_BYTES = 2048;
const MAX_ADDRESS = 512;
const FORMAT = 'rsd-member-v1';
const HKDF_LABEL = 'resident membership key v1';
const encoder = new TextEncoder();

/**
 * The per-cluster membership key, from a secret every node of the cluster already shares (the guest-token secret):
 * operators configure nothing new, and the key is not the token secret itself.
 */
export function deriveMembershipKey(secret: string, cluster: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, cluster, HKDF_LABEL, 32));
}

/**
 * Member entries signed with HMAC-SHA256 under a key the nodes share, so a node can tell its peers' heartbeats from
 * anything else written into the bucket (a forged member, a corrupted value). The signature covers the cluster
 * name, every field and the heartbeat count, in a fixed order. Without a key (a caller-only client that was given
 * none) entries are written unsigned and read without checking.
 */
export class MemberEntryCodec {
  constructor(
    private readonly cluster: string,
    private readonly key: Uint8Array | undefined,
  ) {
    if (key !== undefined && key.length < MIN_KEY_BYTES)
      throw new RangeError(`the membership key must be at least ${MIN_KEY_BYTES} bytes (got ${key.length})`);
  }

  get verifies(): boolean {
    return this.key !== undefined;
  }

  encode(entry: MemberEntry): Uint8Array {
    const { info } = entry;
    const wire: Omit<Wire, 'sig'> = {
      id: info.id,
      incarnation: info.incarnation,
      role: info.role,
      status: entry.left ? 'left' : info.status,
      ...(info.address !== undefined ? { address: info.address } : {}),
      seq: entry.seq,
    };
    return encoder.encode(JSON.stringify({ ...wire, sig: this.sign(wire) }));
  }

  /** The entry stored under `key`, or why it is not one of ours. */
  decode(key: string, data: Uint8Array): DecodedEntry {
    const json = parseBoundedJson(data, MAX_ENTRY_BYTES);
    if ('problem' in json) return bad('member_entry', json.problem);
    const parsed = json.value;
    const problem = shapeProblem(parsed);
    if (problem) return bad('member_entry', problem);
    const wire = parsed as Wire;
    if (wire.id !== key) return bad('member_entry', `entry of ${JSON.stringify(wire.id)} stored under another key`);
    if (!this.signatureHolds(wire)) return bad('member_signature', 'signature missing or wrong');
    const left = wire.status === 'left';
    const info: MemberInfo = {
      id: wire.id,
      incarnation: wire.incarnation,
      role: wire.role,
      status: left ? 'draining' : (wire.status as MemberStatus),
      ...(wire.address !== undefined ? { address: wire.address } : {}),
    };
    return { entry: { info, seq: wire.seq, left } };
  }

  private sign(wire: Omit<Wire, 'sig'>): string | undefined {
    if (!this.key) return undefined;
    const canonical = JSON.stringify([
      FORMAT,
      this.cluster,
      wire.id,
      wire.incarnation,
      wire.role,
      wire.status,
      wire.address ?? null,
      wire.seq,
    ]);
    return createHmac('sha256', this.key).update(canonical).digest('base64url');
  }

  private signatureHolds(wire: Wire): boolean {
    const expected = this.sign(wire);
    if (expected === undefined) return true;
    if (typeof wire.sig !== 'string') return false;
    const got = Buffer.from(wire.sig);
    const want = Buffer.from(expected);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

interface Wire {
  readonly id: string;
  readonly incarnation: string;
  readonly role: MemberRole;
  readonly status: MemberStatus | 'left';
  readonly address?: string;
  readonly seq: number;
  readonly sig?: unknown;
}

function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const v = value as Record<string, unknown>;
  if (!isNodeId(v.id)) return 'id is not a node id';
  // Incarnations use the node-id alphabet too: they end up in shard rows and log lines.
  if (!isNodeId(v.incarnation)) return 'incarnation is not a 1-64 character token';
  if (!MEMBER_ROLES.includes(v.role as MemberRole)) return 'role is neither host nor client';
  if (v.status !== 'left' && !MEMBER_STATUSES.includes(v.status as MemberStatus)) return 'unknown status';
  if (v.address !== undefined && !isAddress(v.address)) return `address is not a string of 1-${MAX_ADDRESS} characters`;
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 0) return 'seq is not a non-negative integer';
  return undefined;
}

function isAddress(value: unknown): boolean {
  // No control characters: it is shown to browsers (/api/nodes) and written to logs.
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ADDRESS && !/\p{Cc}/u.test(value);
}

function bad(kind: string, problem: string): DecodedEntry {
  return { kind, problem };
}
