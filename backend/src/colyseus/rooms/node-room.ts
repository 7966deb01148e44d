// A Colyseus room that gets its node's context injected, as Colyseus assigns `room.presence` before onCreate: the
// node defines its rooms through `bindRooms`, which hands every room it creates the node's objects, id, clock and
// logger (and whatever more the game's context carries). A room reads them as `this.resident`; nothing is global.
import { type AuthContext, type RegisteredHandler, Room, type RoomOptions } from '@colyseus/core';
import type { ResidentContext } from '../../objects/index.ts';
import type { RoomSnapshot } from './room-checkpoint.ts';

/** What the node gives the rooms it defines. */
export interface RoomBinding {
  readonly context: ResidentContext;
  /** Checkpoints of rooms being restored on this node, by roomId: a ResidentRoom's onCreate reads its own. */
  readonly restores: ReadonlyMap<string, RoomSnapshot>;
}

const BINDING = Symbol('resident.room.binding');
const UNBOUND = Symbol('resident.room.unbound');

type RoomClass = (new () => Room) & {
  onAuth: typeof Room.onAuth;
  authenticate?: typeof NodeRoom.authenticate;
  [UNBOUND]?: RoomClass;
  [BINDING]?: RoomBinding;
};

export class NodeRoom<
  T extends RoomOptions = RoomOptions,
  C extends ResidentContext = ResidentContext,
> extends Room<T> {
  /** The node's context: other objects, the node id, the clock, the logger, and the game's own parts. */
  get resident(): C {
    return bindingOf(this.constructor as RoomClass, this.roomName).context as C;
  }

  /**
   * Matchmaking's authentication, with the node's context: Colyseus calls a room's static onAuth before any room
   * exists, so a NodeRoom writes this instead, and the node installs it as the onAuth of the room it defines.
   * What it returns becomes `client.auth`; a throw refuses the seat.
   */
  static authenticate?(context: ResidentContext, token: string, options: unknown, auth: AuthContext): unknown;
}

/** The node's binding of a room instance or class; undefined for a room defined without a node. */
export function roomBinding(room: Room): RoomBinding | undefined {
  return (room.constructor as RoomClass)[BINDING];
}

function bindingOf(cls: RoomClass, name: string): RoomBinding {
  const binding = cls[BINDING];
  if (!binding) throw new Error(`room ${name} has no node context: define it through startNode (bindRooms)`);
  return binding;
}

/**
 * Gives every NodeRoom among `handlers` the node's binding: each handler's class becomes a subclass that carries it,
 * and whose static onAuth is its `authenticate` given that context. Other rooms are left as they are.
 */
export function bindRooms(
  handlers: Record<string, RegisteredHandler>,
  binding: RoomBinding,
): Record<string, RegisteredHandler> {
  for (const handler of Object.values(handlers)) {
    const klass = original(handler.klass as unknown as RoomClass);
    if (klass.prototype instanceof NodeRoom) handler.klass = bound(klass, binding) as typeof handler.klass;
  }
  return handlers;
}

/** A handler defined on an earlier node of this process is bound again from its own class, not stacked. */
function original(klass: RoomClass): RoomClass {
  return klass[UNBOUND] ?? klass;
}

function bound(klass: RoomClass, binding: RoomBinding): RoomClass {
  const Bound = class extends klass {} as unknown as RoomClass;
  Object.defineProperty(Bound, 'name', { value: klass.name });
  Bound[BINDING] = binding;
  Bound[UNBOUND] = klass;
  const { authenticate } = klass;
  if (authenticate) {
    Bound.onAuth = async (token: string, options: unknown, auth: AuthContext) =>
      authenticate(binding.context, token, options, auth);
  }
  return Bound;
}
