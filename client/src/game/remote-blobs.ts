// Other players' blobs, drawn ~100 ms in the past and interpolated between server snapshots, with the Colyseus
// SDK's own entity interpolation (Predict, mode "lerp"). It binds to one SDK Room, so a failover rebinds it.
import { Predict, type Room } from '@colyseus/sdk';
import type { BlobView } from '../net/arena-state.ts';

export const INTERPOLATION_DELAY_MS = 100;
/** A jump larger than this between snapshots is a respawn: shown at once, never glided across the arena. */
const TELEPORT = 300;

/** The slice of Predict this client uses (its generics want the server's schema classes, which we only reflect). */
interface Smoother {
  attachAll(key: string, config: { fields: string[] }): () => void;
  tick(now: number): number;
  value(instance: object, field: string): number;
  dispose(): void;
}

export class RemoteBlobs {
  private predict: Smoother | undefined;

  bind(room: Room): void {
    this.dispose();
    const predict = Predict.get(room as never, {
      mode: 'lerp',
      delay: INTERPOLATION_DELAY_MS,
      snap: TELEPORT,
    }) as unknown as Smoother;
    predict.attachAll('blobs', { fields: ['x', 'y', 'mass'] });
    this.predict = predict;
  }

  frame(now: number): void {
    this.predict?.tick(now);
  }

  /** Where to draw `blob` now (its interpolated past), or its raw state before the first samples arrive. */
  position(blob: BlobView): { x: number; y: number; mass: number } {
    const p = this.predict;
    if (!p) return { x: blob.x, y: blob.y, mass: blob.mass };
    return { x: p.value(blob, 'x'), y: p.value(blob, 'y'), mass: p.value(blob, 'mass') };
  }

  dispose(): void {
    this.predict?.dispose();
    this.predict = undefined;
  }
}
