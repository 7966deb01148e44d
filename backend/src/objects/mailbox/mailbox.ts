/**
 * Turns: one call at a time per activation, except that calls from the chain already running may enter while its
 * turn awaits (so A→B→A completes). Everything else waits in a bounded queue.
 */
export interface Turn {
  readonly chain: string;
}

export type Admission = 'started' | 'queued' | 'full';

/** What runs the turns. An interface rather than callbacks, so a mailbox costs no closures per activation. */
export interface TurnRunner<T extends Turn> {
  startTurn(turn: T): void;
  /** No turn is running: the consistent point where state can be snapshotted. */
  quiet(): void;
}

export class Mailbox<T extends Turn> {
  private running = 0;
  private chain: string | undefined;
  private queue: T[] | undefined;
  private paused = true;

  constructor(
    private readonly bound: number,
    private readonly runner: TurnRunner<T>,
  ) {}

  /** The chain whose turns are running, if any. Only one chain runs at a time, so this is unambiguous. */
  get runningChain(): string | undefined {
    return this.chain;
  }

  get depth(): number {
    return this.queue?.length ?? 0;
  }

  get idle(): boolean {
    return this.running === 0 && this.depth === 0;
  }

  offer(turn: T): Admission {
    if (!this.paused && (this.running === 0 || turn.chain === this.chain)) {
      this.begin(turn);
      return 'started';
    }
    if (this.depth >= this.bound) return 'full';
    if (!this.queue) this.queue = [];
    this.queue.push(turn);
    return 'queued';
  }

  /** A turn ended (successfully or not). */
  done(): void {
    this.running--;
    if (this.running > 0) return;
    this.chain = undefined;
    this.runner.quiet();
    this.next();
  }

  /** Lets queued turns start; activations stay paused while their state loads. */
  resume(): void {
    this.paused = false;
    if (this.running === 0) this.next();
  }

  pause(): void {
    this.paused = true;
  }

  /** Removes every queued turn that has not started, for the caller to bounce or fail. */
  takeQueued(): T[] {
    const queued = this.queue ?? [];
    this.queue = undefined;
    return queued;
  }

  private next(): void {
    const turn = this.paused ? undefined : this.queue?.shift();
    if (!turn) return;
    if (this.queue?.length === 0) this.queue = undefined;
    this.begin(turn);
  }

  private begin(turn: T): void {
    this.running++;
    this.chain = turn.chain;
    this.runner.startTurn(turn);
  }
}
