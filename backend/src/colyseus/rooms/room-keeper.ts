import { type MatchMakerDriver, matchMaker } from '@colyseus/core';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { ObjectRuntime } from '../../objects/index.ts';
import { RoomAdopter, restoreSubject } from './room-adopter.ts';
import type { RoomSnapshot } from './room-checkpoint.ts';
import { RoomCheckpointer } from './room-checkpointer.ts';
import { moveRooms } from './room-mover.ts';

export { ROOM_MOVED } from './room-mover.ts';

export interface RoomKeeperOptions {
  readonly runtime: ObjectRuntime;
  readonly driver: MatchMakerDriver;
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly publicAddress: string;
  /** How often every local room is checkpointed. */
  readonly intervalMs: number;
  /** The map the node's room definitions read restores from (see bindRooms). */
  readonly restores: Map<string, RoomSnapshot>;
  readonly log: Logger;
}

/**
 * Keeps this node's rooms alive beyond the node: checkpointing (room-checkpointer.ts), adopting a dead node's rooms
 * (room-adopter.ts), and moving rooms away on drain (room-mover.ts).
 */
export class RoomKeeper {
  private timer: NodeJS.Timeout | undefined;
  private readonly checkpointer: RoomCheckpointer;
  private readonly adopter: RoomAdopter;

  constructor(private readonly opts: RoomKeeperOptions) {
    this.checkpointer = new RoomCheckpointer({ objects: opts.runtime, ...opts });
    this.adopter = new RoomAdopter({ ...opts, checkpointer: this.checkpointer });
  }

  start(): void {
    // Liveness comes from membership (dead within ~1 s, never on one missed ping), not Colyseus's IPC health checks.
    matchMaker.setHealthChecksEnabled(false);
    this.timer = setInterval(() => void this.checkpointer.checkpointAll(), this.opts.intervalMs);
    this.adopter.start(this.subjectOf(this.opts.runtime.nodeId));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  checkpointAll(): Promise<void> {
    return this.checkpointer.checkpointAll();
  }

  restoreById(roomId: string): Promise<void> {
    return this.adopter.restoreById(roomId);
  }

  /** Drain: move every local room to another node; its clients follow with their reconnection tokens. */
  drain(): Promise<void> {
    return moveRooms({ ...this.opts, checkpointer: this.checkpointer, subjectOf: (node) => this.subjectOf(node) });
  }

  private subjectOf(node: string): string {
    return restoreSubject(this.opts.cluster, node);
  }
}
