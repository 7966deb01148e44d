// Area of interest: each client's StateView holds only the blobs and pellets inside the square its blob sees,
// so the bytes a client receives depend on its surroundings, not on the room's size. With `full` every client
// sees everything (the baseline the benchmark compares against).
import { StateView } from '@colyseus/schema';
import { viewHalfSize } from '@resident/shared/game';
import type { Blob, Pellet } from '../state.ts';
import type { Simulation } from './simulation.ts';

type Entity = Blob | Pellet;

export interface Viewer {
  sessionId: string;
  view?: StateView;
}

/** Views are refreshed every REFRESH_TICKS ticks, staggered across clients so no tick pays for all of them. */
const REFRESH_TICKS = 4;
/** Seen a little beyond the camera, so what moves in between refreshes is already there when it comes into view. */
const MARGIN = 150;

export class Interest {
  private readonly seen = new Map<string, Set<Entity>>();
  private readonly slot = new Map<string, number>();
  private nextSlot = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly full: boolean,
  ) {}

  attach(client: Viewer): void {
    client.view?.dispose(); // a re-attach (reconnect) starts a fresh view; dispose frees the old one's id at once
    client.view = new StateView();
    this.seen.set(client.sessionId, new Set());
    this.slot.set(client.sessionId, this.nextSlot++ % REFRESH_TICKS);
    this.refresh(client);
  }

  detach(client: Viewer): void {
    client.view?.dispose();
    this.seen.delete(client.sessionId);
    this.slot.delete(client.sessionId);
  }

  /** Entities that left the state (eaten pellets, departed blobs) are gone from every view already; forget them. */
  forget(entities: readonly Entity[]): void {
    if (entities.length === 0) return;
    for (const set of this.seen.values()) for (const e of entities) set.delete(e);
  }

  /** Refreshes the views whose turn it is on this tick. */
  refreshDue(clients: Iterable<Viewer>, tick: number): void {
    for (const client of clients) {
      if ((tick + (this.slot.get(client.sessionId) ?? 0)) % REFRESH_TICKS === 0) this.refresh(client);
    }
  }

  private refresh(client: Viewer): void {
    const seen = this.seen.get(client.sessionId);
    const view = client.view;
    if (!seen || !view) return;
    const want = this.visibleTo(client.sessionId);
    for (const e of want) if (!seen.has(e)) view.add(e);
    for (const e of seen) if (!want.has(e)) view.remove(e);
    this.seen.set(client.sessionId, want);
  }

  private visibleTo(sessionId: string): Set<Entity> {
    const { blobs, pellets } = this.sim.state;
    if (this.full) return new Set<Entity>([...blobs.values(), ...pellets.values()]);
    const want = new Set<Entity>();
    const me = blobs.get(sessionId);
    if (!me) return want;
    want.add(me);
    const half = viewHalfSize(me.mass) + MARGIN;
    const inside = (e: Entity) => Math.abs(e.x - me.x) <= half && Math.abs(e.y - me.y) <= half;
    for (const b of blobs.values()) if (inside(b)) want.add(b);
    for (const p of this.sim.pelletGrid.near(me.x, me.y, half)) if (inside(p)) want.add(p);
    return want;
  }
}
