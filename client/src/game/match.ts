// One match in one arena room: the input beat, the own-blob predictor and the remote-blob interpolation, glued to
// the connection. The scene asks it for a frame to draw; the HUD reads its numbers.
import type { Body } from '@resident/shared/game';
import type { ArenaConnection } from '../net/arena-connection.ts';
import type { BlobView, PelletView } from '../net/arena-state.ts';
import { OwnBlob } from './own-blob.ts';
import { RemoteBlobs } from './remote-blobs.ts';
import type { Steering } from './steering.ts';
import { TickClock } from './tick-clock.ts';

export interface DrawnBlob extends Body {
  id: string;
  name: string;
  color: number;
  mine: boolean;
}

export interface FrameView {
  me: Body | undefined;
  alive: boolean;
  blobs: DrawnBlob[];
  pellets: PelletView[];
}

export class Match {
  readonly own = new OwnBlob();
  private readonly remote = new RemoteBlobs();
  private readonly clock: TickClock;
  inputsSent = 0;

  constructor(
    readonly connection: ArenaConnection,
    private readonly steering: Steering,
  ) {
    this.clock = new TickClock(() => this.onTick());
    this.remote.bind(connection.room);
    connection.on('reconnected', () => {
      this.remote.bind(connection.room);
      this.own.forget();
    });
    this.clock.run();
  }

  /** The server's copy of my blob, if it is in view. */
  serverBlob(): BlobView | undefined {
    return this.connection.state?.blobs?.get(this.connection.sessionId);
  }

  frame(now: number): FrameView {
    const state = this.connection.state;
    const mine = this.serverBlob();
    this.remote.frame(now);
    const me = this.own.frame(mine, this.clock.alpha(now), now);
    const blobs: DrawnBlob[] = [];
    const pellets: PelletView[] = [];
    state?.blobs?.forEach((blob, id) => {
      if (!blob.alive) return;
      const mineNow = id === this.connection.sessionId;
      const at = mineNow && me ? me : this.remote.position(blob);
      blobs.push({ id, name: blob.name, color: blob.color, mine: mineNow, x: at.x, y: at.y, mass: at.mass });
    });
    state?.pellets?.forEach((pellet) => {
      pellets.push(pellet);
    });
    blobs.sort((a, b) => a.mass - b.mass); // bigger blobs drawn over smaller ones
    return { me, alive: mine?.alive ?? false, blobs, pellets };
  }

  stop(): void {
    this.clock.stop();
    this.remote.dispose();
  }

  private onTick(): void {
    if (this.connection.reconnecting) return;
    const input = this.own.tick(this.serverBlob(), this.steering.current());
    if (!input) return;
    this.connection.sendInput(input);
    this.inputsSent += 1;
  }
}
