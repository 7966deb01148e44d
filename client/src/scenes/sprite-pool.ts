// Reuses game objects between frames: entities come and go with the area of interest, and creating and destroying
// objects every frame would churn memory. Objects not used in a frame are hidden.
export class Pool<T extends { setVisible(v: boolean): unknown; destroy(): void }> {
  private readonly items: T[] = [];
  private used = 0;

  constructor(private readonly create: () => T) {}

  /** Call before a frame's draws. */
  begin(): void {
    this.used = 0;
  }

  next(): T {
    let item = this.items[this.used];
    if (!item) {
      item = this.create();
      this.items.push(item);
    }
    this.used += 1;
    item.setVisible(true);
    return item;
  }

  /** Call after a frame's draws: hides what was not used. */
  end(): void {
    for (let i = this.used; i < this.items.length; i++) this.items[i]!.setVisible(false);
  }

  clear(): void {
    for (const item of this.items) item.destroy();
    this.items.length = 0;
    this.used = 0;
  }
}
