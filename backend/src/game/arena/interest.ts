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
  /** Per client: what its view holds, and which of the REFRESH_TICKS ticks refreshes it. */
  private readonly viewers = new Map<string, { seen: Set<Entity>; slot: number }>();
  private nextSlot = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly full: boolean,
  ) {}

  attach(client: Viewer): void {
    client.view?.dispose(); // a re-attach (reconnect) starts a fresh view; dispose frees the old one's id at once
    client.view = new StateView();
    this.viewers.set(client.sessionId, { seen: new Set(), slot: this.nextSlot++ % REFRESH_TICKS });
    this.refresh(client);
  }

  detach(client: Viewer): void {
    client.view?.dispose();
    this.viewers.delete(client.sessionId);
  }

  /** Entities that left the state (eaten pellets, departed blobs) are gone from every view already; forget them. */
  forget(entities: readonly Entity[]): void {
    if (entities.length === 0) return;
    for (const { seen } of this.viewers.values()) for (const e of entities) seen.delete(e);
  }

  /** Refreshes the views whose turn it is on this tick. */
  refreshDue(clients: Iterable<Viewer>, tick: number): void {
    for (const client of clients) {
      if ((tick + (this.viewers.get(client.sessionId)?.slot ?? 0)) % REFRESH_TICKS === 0) this.refresh(client);
    }
  }

  private refresh(client: Viewer): void {
    const viewer = this.viewers.get(client.sessionId);
    const view = client.view;
    if (!viewer || !view) return;
    const want = this.visibleTo(client.sessionId);
    for (const e of want) if (!viewer.seen.has(e)) view.add(e);
    for (const e of viewer.seen) if (!want.has(e)) view.remove(e);
    viewer.seen = want;
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
