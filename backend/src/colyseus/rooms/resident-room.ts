import { type Client, ErrorCode, type RoomOptions, ServerError } from '@colyseus/core';
import type { ResidentContext } from '../../objects/index.ts';
import { NodeRoom, roomBinding } from './node-room.ts';
import type { SnapshotClient } from './room-checkpoint.ts';
import { restoreState } from './room-state.ts';

/**
 * The deepest and largest create options a checkpoint can carry: the object runtime refuses call arguments nested
 * deeper than 64, and a checkpoint nests the options a few levels down. Matchmaking refuses far less already.
 */
export const CHECKPOINT_OPTIONS = { maxDepth: 32, maxBytes: 64 * 1024 } as const;

/** Why these options are refused (too deep, too large), or undefined when they are fine. */
export function optionsProblem(
  options: unknown,
  maxDepth: number,
  maxBytes = Number.POSITIVE_INFINITY,
): string | undefined {
  if (depthOf(options, maxDepth + 1) > maxDepth) return `are nested deeper than ${maxDepth} levels`;
  if (maxBytes !== Number.POSITIVE_INFINITY && (JSON.stringify(options)?.length ?? 0) > maxBytes)
    return `are larger than ${maxBytes} bytes`;
  return undefined;
}

/** Nesting depth of arrays and objects (a scalar is 0), counted no further than `stop`. */
function depthOf(value: unknown, stop: number): number {
  if (value === null || typeof value !== 'object' || stop <= 0) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child, stop - 1));
    if (deepest >= stop - 1) break;
  }
  return deepest + 1;
}

/** What a restored room's onCreate gets besides its options. Its state already holds the checkpoint's values. */
export interface Restored {
  /** Whatever the room's `onCacheRoom()` returned on its old node: data that is not in the state. */
  readonly cache: unknown;
}

/**
 * A Colyseus room that survives its node: it is checkpointed into the object runtime and restored elsewhere under
 * the same roomId when its node dies or drains. A subclass writes only its game, with Colyseus's hooks; this class
 * wraps them when the room is constructed (as Colyseus's RoomPlugin installs hook wrappers), so nothing is left for
 * the subclass to remember: no `super.` calls, no migration checks.
 *
 * Restore order, on the node that takes the room over:
 *  1. The room is constructed and given the node's context (`this.resident`), as on any node.
 *  2. Its options are checked and kept for later checkpoints (as for a new room).
 *  3. Its state, declared as a field, is overwritten with the checkpoint's values.
 *  4. `onCreate(options, restored)` runs, once for this room's life on this node, with `restored.cache` (what
 *     `onCacheRoom()` returned); for a new room `restored` is undefined. It builds what is not in the state
 *     (simulations, timers, handlers) from the state as it finds it. It must not assign a new state.
 *  5. The old clients' seats are reserved under their old reconnection tokens. A client that comes back runs
 *     `onReconnect`, with its auth (what onAuth returned on the old node) already on `client.auth`.
 *
 * While a room moves away (drain), its clients are disconnected to re-join it elsewhere: `onDrop` and `onLeave` are
 * not called for them, since those players did not quit.
 */
export class ResidentRoom<
  T extends RoomOptions = RoomOptions,
  C extends ResidentContext = ResidentContext,
> extends NodeRoom<T, C> {
  /** Options onCreate ran with, saved in every checkpoint. */
  createOptions: unknown = {};
  /** Set by the room keeper while it moves this room to another node; its clients will re-join there. */
  migrating = false;
  /** Clients expected back after a restore, by sessionId; their auth is applied when they reconnect. */
  private expected: Map<string, SnapshotClient> | undefined;

  constructor() {
    super();
    wrapHooks(this);
  }

  /**
   * Called by the room keeper on the node that restores this room. A client not back within `seatSeconds` has left
   * (its seat expired), so later checkpoints must stop carrying it.
   */
  expectClients(clients: readonly SnapshotClient[], seatSeconds: number): void {
    this.expected = new Map(clients.map((c) => [c.sessionId, c]));
    this.clock.setTimeout(() => this.expected?.clear(), (seatSeconds + 5) * 1000);
  }

  /** Clients restored with the room that have not reconnected yet: later checkpoints must keep their seats. */
  expectedClients(): SnapshotClient[] {
    return [...(this.expected?.values() ?? [])];
  }

  /** Before create: refuses options a checkpoint could not carry, and on a restore writes the saved state. */
  beforeCreate(options: unknown): Restored | undefined {
    const problem = optionsProblem(options, CHECKPOINT_OPTIONS.maxDepth, CHECKPOINT_OPTIONS.maxBytes);
    if (problem) throw new ServerError(ErrorCode.MATCHMAKE_INVALID_CRITERIA, `bad_options: room options ${problem}`);
    this.createOptions = options ?? {};
    const snapshot = roomBinding(this)?.restores.get(this.roomId);
    if (!snapshot) return undefined;
    if (snapshot.state) restoreState(this, snapshot.state);
    return { cache: snapshot.cache };
  }

  /** Restored clients skip onAuth (their seat is a reconnection), so give them back their auth. */
  returning(client: Client): void {
    const expected = this.expected?.get(client.sessionId);
    if (expected) {
      client.auth = expected.auth;
      this.expected?.delete(client.sessionId);
    }
  }
}

type Hook = (this: ResidentRoom, ...args: never[]) => unknown;

/** Installs the framework's part of each hook around the subclass's own (read from the prototype chain). */
function wrapHooks(room: ResidentRoom): void {
  const own = room as unknown as Record<'onCreate' | 'onLeave' | 'onDrop' | 'onReconnect', Hook | undefined>;
  const { onCreate, onLeave, onDrop, onReconnect } = own;
  own.onCreate = async function (this: ResidentRoom, options: unknown) {
    const restored = this.beforeCreate(options);
    const state = this.state;
    await onCreate?.call(this, ...([options, restored] as never[]));
    if (restored && this.state !== state) throw new Error(`${this.roomName}: onCreate replaced its restored state`);
  };
  own.onReconnect = function (this: ResidentRoom, client: Client) {
    this.returning(client);
    return onReconnect?.call(this, ...([client] as never[]));
  };
  // Colyseus calls onDrop, or onLeave when there is none: wrap only what the subclass has.
  for (const [name, hook] of [
    ['onLeave', onLeave],
    ['onDrop', onDrop],
  ] as const) {
    if (hook)
      own[name] = function (this: ResidentRoom, ...args: never[]) {
        return this.migrating ? undefined : hook.call(this, ...args);
      };
  }
}
