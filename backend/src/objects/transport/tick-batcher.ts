/**
 * Work that arrives in one tick, or while earlier batches are out, goes as one batch: at most `maxInFlight` batches
 * at once, the next gathering meanwhile. Subclasses queue work, then call `schedule`.
 */
export abstract class TickBatcher<Batch> {
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly maxInFlight: number) {}

  /** Work is queued. */
  protected abstract pending(): boolean;
  /** The oldest queued work, up to a batch's bounds. */
  protected abstract take(): Batch;
  /** Settles everything in the batch; a batch is out until this resolves. */
  protected abstract send(batch: Batch): Promise<void>;

  protected schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.pending() && this.inFlight < this.maxInFlight) void this.run(this.take());
    });
  }

  private async run(batch: Batch): Promise<void> {
    this.inFlight++;
    try {
      await this.send(batch);
    } finally {
      this.inFlight--;
      if (this.pending()) this.schedule();
    }
  }
}
