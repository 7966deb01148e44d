// A uniform spatial hash: finds entities near a point or inside a square without scanning all of them.
import type { Point } from '@resident/shared/game';

export class Grid<T extends Point> {
  private readonly cells = new Map<number, Set<T>>();
  private readonly cellOf = new Map<T, number>();

  constructor(private readonly cellSize: number) {}

  insert(item: T): void {
    const cell = this.key(item.x, item.y);
    this.cellOf.set(item, cell);
    const set = this.cells.get(cell) ?? new Set<T>();
    if (set.size === 0) this.cells.set(cell, set);
    set.add(item);
  }

  remove(item: T): void {
    const cell = this.cellOf.get(item);
    if (cell === undefined) return;
    this.cellOf.delete(item);
    this.cells.get(cell)?.delete(item);
  }

  /**
   * Items whose cell overlaps the square [cx-half, cx+half] × [cy-half, cy+half]. Callers filter exactly. A square
   * wider than the occupied cells (a huge or non-finite size, say from restored state) walks the occupied cells
   * instead, so the cost never exceeds the number of cells in use.
   */
  *near(cx: number, cy: number, half: number): Generator<T> {
    const s = this.cellSize;
    const x0 = Math.floor((cx - half) / s);
    const x1 = Math.floor((cx + half) / s);
    const y0 = Math.floor((cy - half) / s);
    const y1 = Math.floor((cy + half) / s);
    if (!this.walkable(x0, x1, y0, y1)) {
      for (const [cell, set] of this.cells) {
        const gx = Math.floor(cell / 4096) - 1024;
        const gy = (cell % 4096) - 1024;
        if (gx >= x0 && gx <= x1 && gy >= y0 && gy <= y1) yield* set;
      }
      return;
    }
    for (let gx = x0; gx <= x1; gx++) {
      for (let gy = y0; gy <= y1; gy++) {
        const set = this.cells.get(pack(gx, gy));
        if (set) yield* set;
      }
    }
  }

  /** Whether stepping through the square's cells costs no more than going through the occupied ones. */
  private walkable(x0: number, x1: number, y0: number, y1: number): boolean {
    // Beyond 2^53 a cell index no longer steps by one (x + 1 === x): such a square is never walked.
    const exact =
      Number.isSafeInteger(x0) && Number.isSafeInteger(x1) && Number.isSafeInteger(y0) && Number.isSafeInteger(y1);
    return exact && (x1 - x0 + 1) * (y1 - y0 + 1) <= this.cells.size;
  }

  get size(): number {
    return this.cellOf.size;
  }

  private key(x: number, y: number): number {
    return pack(Math.floor(x / this.cellSize), Math.floor(y / this.cellSize));
  }
}

function pack(gx: number, gy: number): number {
  return (gx + 1024) * 4096 + (gy + 1024);
}
