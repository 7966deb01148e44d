import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Runtime counters and histograms in base units, labelled by class at most (never by object key). */
export class RuntimeMetrics {
  private readonly activations: Counter;
  private readonly deactivations: Counter;
  private readonly active: Gauge;
  private readonly turns: Counter;
  private readonly calls: Counter;
  private readonly callSeconds: Histogram;
  private readonly commitSeconds: Histogram;
  private readonly moves: Counter;
  private readonly commits: Counter;
  readonly garbage: Counter;

  constructor(registry: Registry, mailboxDepth: () => number[]) {
    const registers = [registry];
    this.activations = new Counter({
      name: 'resident_activations_total',
      help: 'Objects activated',
      labelNames: ['class'],
      registers,
    });
    this.deactivations = new Counter({
      name: 'resident_deactivations_total',
      help: 'Objects deactivated',
      labelNames: ['class'],
      registers,
    });
    this.active = new Gauge({ name: 'resident_active_objects', help: 'Objects active on this node', registers });
    this.turns = new Counter({ name: 'resident_turns_total', help: 'Turns run', labelNames: ['class'], registers });
    this.calls = new Counter({
      name: 'resident_calls_total',
      help: 'Calls made from this node',
      labelNames: ['outcome'],
      registers,
    });
    this.callSeconds = new Histogram({
      name: 'resident_call_duration_seconds',
      help: 'Call latency seen by the caller',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'resident_commit_duration_seconds',
      help: 'State commit latency',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    });
    this.moves = new Counter({
      name: 'resident_shard_moves_total',
      help: 'Shards handed over or taken over',
      labelNames: ['kind'],
      registers,
    });
    this.commits = new Counter({
      name: 'resident_commits_total',
      help: 'State commits by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.garbage = new Counter({
      name: 'resident_inbox_garbage_total',
      help: 'Undecodable inbox messages',
      labelNames: ['kind'],
      registers,
    });
    new Gauge({
      name: 'resident_mailbox_depth_max',
      help: 'Deepest mailbox on this node',
      registers,
      collect() {
        this.set(Math.max(0, ...mailboxDepth()));
      },
    });
  }

  activated(cls: string): void {
    this.activations.inc({ class: cls });
    this.active.inc();
  }

  deactivated(cls: string): void {
    this.deactivations.inc({ class: cls });
    this.active.dec();
  }

  turnDone(cls: string): void {
    this.turns.inc({ class: cls });
  }

  callDone(ms: number, outcome: string): void {
    this.calls.inc({ outcome });
    this.callSeconds.observe(ms / 1000);
  }

  commitDone(ms: number): void {
    this.commitSeconds.observe(ms / 1000);
    this.commits.inc({ outcome: 'ok' });
  }

  /** 'conflict': the store had newer state; 'fenced': this node may have lost ownership; 'error': the store failed. */
  commitFailed(outcome: 'conflict' | 'fenced' | 'error'): void {
    this.commits.inc({ outcome });
  }

  moved(kind: 'handover' | 'takeover' | 'claim' | 'lost'): void {
    this.moves.inc({ kind });
  }
}
