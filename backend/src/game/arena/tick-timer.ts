/** The last `capacity` simulation tick durations (ms), for the room benchmark and metrics. */
export class TickTimer {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(private readonly capacity = 4096) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.samples[this.count % this.capacity] = ms;
    this.count += 1;
  }

  recent(): number[] {
    return Array.from(this.samples.subarray(0, Math.min(this.count, this.capacity)));
  }

  reset(): void {
    this.count = 0;
  }
}
