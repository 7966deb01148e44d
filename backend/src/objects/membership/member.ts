export type MemberRole = 'host' | 'client';
export const MEMBER_ROLES: readonly MemberRole[] = ['host', 'client'];
export type MemberStatus = 'active' | 'draining';
export const MEMBER_STATUSES: readonly MemberStatus[] = ['active', 'draining'];

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Node ids are NATS subject tokens (a node's inbox is `rsd.<cluster>.inbox.<id>`) and KV keys. */
export function isNodeId(value: unknown): value is string {
  return typeof value === 'string' && NODE_ID.test(value);
}

/** One node as the cluster sees it. `incarnation` changes on every start, so a restarted node is a new member. */
export interface MemberInfo {
  readonly id: string;
  readonly incarnation: string;
  /** Hosts own shards; clients only call (test drivers, the load generator's object scenario). */
  readonly role: MemberRole;
  readonly status: MemberStatus;
  /** Free-form public address, e.g. the node's WebSocket URL. */
  readonly address?: string;
}

/** A host that takes new work: owns shards, receives rooms. A draining host is handing its work away. */
export function isActiveHost(member: MemberInfo): boolean {
  return member.role === 'host' && member.status === 'active';
}

/** The nodes of the cluster as this node sees them: what game code may read (a HUD, where to send a player). */
export interface MembershipView {
  readonly self: MemberInfo;
  /** Members currently believed alive, by id. */
  alive(): ReadonlyMap<string, MemberInfo>;
  onChange(listener: () => void): void;
}

export interface Membership extends MembershipView {
  isAlive(id: string, incarnation: string): boolean;
  /** Whether this node may still act as an owner: its last heartbeat is recent enough that nobody has declared it dead. */
  leaseValid(): boolean;
  /** Fires when this node finds it went longer than its lease without a heartbeat (paused, cut off). */
  onLeaseLapse(listener: () => void): void;
  setStatus(status: MemberStatus): Promise<void>;
  leave(): Promise<void>;
}

/** The embedded single node: always alive, always the only member. */
export class SoloMembership implements Membership {
  private current: MemberInfo;

  constructor(self: MemberInfo) {
    this.current = self;
  }

  get self(): MemberInfo {
    return this.current;
  }

  alive(): ReadonlyMap<string, MemberInfo> {
    return new Map([[this.current.id, this.current]]);
  }

  isAlive(id: string, incarnation: string): boolean {
    return id === this.current.id && incarnation === this.current.incarnation;
  }

  leaseValid(): boolean {
    return true;
  }

  onChange(): void {}

  onLeaseLapse(): void {}

  async setStatus(status: 'active' | 'draining'): Promise<void> {
    this.current = { ...this.current, status };
  }

  async leave(): Promise<void> {}
}
