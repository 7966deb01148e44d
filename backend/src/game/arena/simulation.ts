// The arena's server-authoritative rules, one fixed step at a time: move blobs by their inputs, eat pellets, eat
// smaller blobs, respawn. Plain logic over the synchronized state; it knows nothing of clients or networking.
import {
  canEat,
  massAfter,
  move,
  PELLET_MASS,
  RESPAWN_MS,
  radius,
  START_MASS,
  type Steer,
  TICK_HZ,
  touchesPellet,
  WORLD_SIZE,
  xpForEat,
} from '@resident/shared/game';
import { type ArenaState, Blob, Pellet, TopEntry } from '../state.ts';
import { Grid } from './grid.ts';

export interface TickInput extends Steer {
  seq: number;
}

/** What happened in one step; the room turns it into XP, messages and profile updates. */
export interface StepEvents {
  /** eater id → XP earned this step. */
  xp: Map<string, number>;
  /** eater id → number of eats this step. */
  eats: Map<string, number>;
  kills: { eater: string; prey: string; preyMass: number }[];
  pelletsAdded: Pellet[];
  pelletsRemoved: Pellet[];
}

export interface SimulationOptions {
  pellets: number;
  random?: () => number;
}

const PELLET_COLORS = 8;
const TOP_EVERY_TICKS = TICK_HZ;

export class Simulation {
  readonly pelletGrid = new Grid<Pellet>(250);
  private readonly respawnAt = new Map<string, number>();
  private readonly pelletIds = new Map<Pellet, string>();
  private readonly random: () => number;
  private nextPelletId = 0;

  constructor(
    readonly state: ArenaState,
    private readonly opts: SimulationOptions,
  ) {
    this.random = opts.random ?? Math.random;
    for (const [id, pellet] of state.pellets) {
      this.pelletGrid.insert(pellet);
      this.pelletIds.set(pellet, id);
      this.nextPelletId = Math.max(this.nextPelletId, Number(id) + 1);
    }
  }

  /** Fills the arena with pellets up to the configured count. */
  seed(): Pellet[] {
    const added: Pellet[] = [];
    while (this.state.pellets.size < this.opts.pellets) added.push(this.addPellet());
    return added;
  }

  addBlob(id: string, name: string, color: number): Blob {
    const blob = new Blob().assign({ id, name, color, mass: START_MASS, ...this.spawnPoint() });
    this.state.blobs.set(id, blob);
    return blob;
  }

  removeBlob(id: string): void {
    this.state.blobs.delete(id);
    this.respawnAt.delete(id);
  }

  /** Advances one tick. `inputsFor` yields a blob's inputs for this tick (none, one, or two to catch up). */
  step(now: number, inputsFor: (id: string) => readonly TickInput[]): StepEvents {
    const events: StepEvents = { xp: new Map(), eats: new Map(), kills: [], pelletsAdded: [], pelletsRemoved: [] };
    const dt = 1 / TICK_HZ;
    for (const blob of this.state.blobs.values()) {
      if (blob.alive) this.moveBlob(blob, inputsFor(blob.id), dt);
      else this.waitForRespawn(blob, now, inputsFor);
    }
    for (const blob of this.state.blobs.values()) if (blob.alive) this.eatPellets(blob, events);
    this.eatBlobs(now, events);
    this.state.tick += 1;
    if (this.state.tick % TOP_EVERY_TICKS === 0) this.updateTop();
    return events;
  }

  /**
   * Each input moves the blob one tick, and a tick without an input does not move it: the server's position is then
   * a function of the acknowledged inputs alone, which is what the client's prediction replays.
   */
  private moveBlob(blob: Blob, inputs: readonly TickInput[], dt: number): void {
    for (const input of inputs) {
      const to = move(blob, input, dt);
      blob.x = to.x;
      blob.y = to.y;
      blob.ack = input.seq;
    }
    blob.mass = massAfter(blob.mass, 0, dt);
  }

  /** A dead blob's inputs are consumed without effect, so its ack stays current and none pile up for later. */
  private waitForRespawn(blob: Blob, now: number, inputsFor: (id: string) => readonly TickInput[]): void {
    for (let inputs = inputsFor(blob.id); inputs.length > 0; inputs = inputsFor(blob.id)) {
      blob.ack = inputs[inputs.length - 1]!.seq;
    }
    if (now >= (this.respawnAt.get(blob.id) ?? 0)) this.respawn(blob);
  }

  private eatPellets(blob: Blob, events: StepEvents): void {
    let eaten = 0;
    for (const pellet of this.pelletGrid.near(blob.x, blob.y, radius(blob.mass))) {
      if (!touchesPellet(blob, pellet)) continue;
      this.removePellet(pellet);
      events.pelletsRemoved.push(pellet);
      events.pelletsAdded.push(this.addPellet());
      eaten += 1;
    }
    if (eaten === 0) return;
    blob.mass += eaten * PELLET_MASS;
    add(events.eats, blob.id, eaten);
    add(events.xp, blob.id, eaten * xpForEat(PELLET_MASS));
  }

  /** Biggest first, so a chain of sizes resolves the same way every time. */
  private eatBlobs(now: number, events: StepEvents): void {
    const alive = [...this.state.blobs.values()].filter((b) => b.alive).sort((a, b) => b.mass - a.mass);
    for (const eater of alive) {
      if (!eater.alive) continue;
      for (const prey of alive) {
        if (prey === eater || !prey.alive || !canEat(eater, prey)) continue;
        eater.mass += prey.mass;
        prey.alive = false;
        this.respawnAt.set(prey.id, now + RESPAWN_MS);
        events.kills.push({ eater: eater.id, prey: prey.id, preyMass: prey.mass });
        add(events.eats, eater.id, 1);
        add(events.xp, eater.id, xpForEat(prey.mass));
      }
    }
  }

  private respawn(blob: Blob): void {
    this.respawnAt.delete(blob.id);
    blob.assign({ alive: true, mass: START_MASS, ...this.spawnPoint() });
  }

  private addPellet(): Pellet {
    const pellet = new Pellet().assign({
      x: Math.floor(20 + this.random() * (WORLD_SIZE - 40)),
      y: Math.floor(20 + this.random() * (WORLD_SIZE - 40)),
      color: Math.floor(this.random() * PELLET_COLORS),
    });
    const id = String(this.nextPelletId++);
    this.state.pellets.set(id, pellet);
    this.pelletIds.set(pellet, id);
    this.pelletGrid.insert(pellet);
    return pellet;
  }

  private removePellet(pellet: Pellet): void {
    this.pelletGrid.remove(pellet);
    const id = this.pelletIds.get(pellet);
    this.pelletIds.delete(pellet);
    if (id !== undefined) this.state.pellets.delete(id);
  }

  /** Away from the edges and from bigger blobs, so a respawn is not an instant death. */
  private spawnPoint(): { x: number; y: number } {
    let best = { x: WORLD_SIZE / 2, y: WORLD_SIZE / 2 };
    let bestClearance = -1;
    for (let i = 0; i < 8; i++) {
      const p = { x: 100 + this.random() * (WORLD_SIZE - 200), y: 100 + this.random() * (WORLD_SIZE - 200) };
      const clearance = this.clearance(p);
      if (clearance > bestClearance) [best, bestClearance] = [p, clearance];
    }
    return best;
  }

  private clearance(p: { x: number; y: number }): number {
    let min = Number.POSITIVE_INFINITY;
    for (const b of this.state.blobs.values()) if (b.alive) min = Math.min(min, Math.hypot(b.x - p.x, b.y - p.y));
    return min;
  }

  private updateTop(): void {
    const top = [...this.state.blobs.values()]
      .filter((b) => b.alive)
      .sort((a, b) => b.mass - a.mass)
      .slice(0, 10);
    this.state.top.splice(0, this.state.top.length);
    for (const b of top) this.state.top.push(new TopEntry().assign({ name: b.name, mass: Math.round(b.mass) }));
  }
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}
