import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AppendStats } from './transport/batched-appends.ts';

type Counts = Map<string, number>;

/** What membership logs and counts: see NatsMembership. */
export type MemberChange =
  | 'joined'
  | 'status'
  | 'left'
  | 'restarted'
  | 'suspected'
  | 'recovered'
  | 'dead'
  | 'came_back'
  | 'leftover';

/** Why the dispatcher refused a call without running it. */
/** hold_full: too many calls held already; hold_expired: the caller's deadline passed while the call was held. */
export type CallDropReason = 'hold_full' | 'hold_expired';

function bump(counts: Counts, label: string): void {
  counts.set(label, (counts.get(label) ?? 0) + 1);
}

/** A Prometheus counter whose value is read from a plain map at scrape time: free on the hot path. */
function countsCounter(registry: Registry, name: string, help: string, label: string, counts: Counts): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, n] of counts) this.inc({ [label]: value }, n);
    },
  });
}

/** A Prometheus counter without labels whose value is read at scrape time. */
function plainCounter(registry: Registry, name: string, help: string, value: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(value());
    },
  });
}

/** How state writes went to JetStream: in atomic batches (a group commit across objects) or one publish each. */
function stateWriteMetrics(registry: Registry, stats: () => AppendStats | undefined): void {
  new Counter({
    name: 'resident_state_writes_total',
    help: 'State writes sent to the store, by how: batched (in an atomic batch), single, resent (singly, after their batch was refused)',
    labelNames: ['how'],
    registers: [registry],
    collect() {
      this.reset();
      const s = stats();
      if (!s) return;
      this.inc({ how: 'batched' }, s.batched);
      this.inc({ how: 'single' }, s.singles);
      this.inc({ how: 'resent' }, s.resent);
    },
  });
  plainCounter(registry, 'resident_state_write_batches_total', 'Atomic batches of state writes stored', () => {
    return stats()?.batches ?? 0;
  });
}

/**
 * Runtime metrics in base units, labelled by class or outcome at most, never by object key. Hot-path events only
 * increment plain numbers; Prometheus reads them when scraped.
 */
export class RuntimeMetrics {
  private readonly activations: Counts = new Map();
  private readonly deactivations: Counts = new Map();
  private readonly turns: Counts = new Map();
  private readonly calls: Counts = new Map();
  private readonly commits: Counts = new Map();
  private readonly moves: Counts = new Map();
  private readonly garbageKinds: Counts = new Map();
  private readonly memberChanges: Counts = new Map();
  private readonly dropped: Counts = new Map();
  private held = 0;
  private bounced = 0;
  private readonly heartbeatGapSeconds: Histogram;
  private readonly callSeconds: Histogram;
  private readonly commitSeconds: Histogram;

  constructor(
    private readonly registry: Registry,
    maxMailboxDepth: () => number,
    storeWrites: () => AppendStats | undefined = () => undefined,
  ) {
    const registers = [registry];
    countsCounter(registry, 'resident_activations_total', 'Objects activated', 'class', this.activations);
    countsCounter(registry, 'resident_deactivations_total', 'Objects deactivated', 'class', this.deactivations);
    countsCounter(registry, 'resident_turns_total', 'Turns run', 'class', this.turns);
    countsCounter(registry, 'resident_calls_total', 'Calls made from this node, by outcome', 'outcome', this.calls);
    countsCounter(registry, 'resident_commits_total', 'State commits by outcome', 'outcome', this.commits);
    countsCounter(
      registry,
      'resident_shard_moves_total',
      'Shards claimed, taken over, handed over or lost',
      'kind',
      this.moves,
    );
    countsCounter(
      registry,
      'resident_inbox_garbage_total',
      'Malformed input from NATS that was dropped (inbox batches and frames, KV entries, presence messages), by kind',
      'kind',
      this.garbageKinds,
    );
    countsCounter(
      registry,
      'resident_membership_changes_total',
      'Membership changes seen by this node (joined, status, left, restarted, suspected, recovered, dead, came_back, leftover)',
      'change',
      this.memberChanges,
    );
    countsCounter(
      registry,
      'resident_calls_dropped_total',
      'Calls this node refused without running them, by reason',
      'reason',
      this.dropped,
    );
    const self = this;
    plainCounter(registry, 'resident_calls_held_total', 'Calls held until their shard settled here', () => self.held);
    plainCounter(
      registry,
      'resident_calls_bounced_total',
      'Calls answered NotOwner (the caller routes them again)',
      () => self.bounced,
    );
    stateWriteMetrics(registry, storeWrites);
    this.heartbeatGapSeconds = new Histogram({
      name: 'resident_heartbeat_gap_seconds',
      help: "Time between two heartbeats of a peer as this node received them (how late peers' heartbeats are)",
      buckets: [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5],
      registers,
    });
    new Gauge({
      name: 'resident_active_objects',
      help: 'Objects active on this node, by class',
      labelNames: ['class'],
      registers,
      collect() {
        this.reset();
        for (const [cls, n] of self.activations) this.set({ class: cls }, n - (self.deactivations.get(cls) ?? 0));
      },
    });
    new Gauge({
      name: 'resident_mailbox_depth_max',
      help: 'Deepest mailbox on this node, as the idle sweep saw it over its last pass (at most 10 s)',
      registers,
      collect() {
        this.set(maxMailboxDepth());
      },
    });
    this.callSeconds = new Histogram({
      name: 'resident_remote_call_duration_seconds',
      help: 'Latency of calls to objects on other nodes, as the caller sees it',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'resident_commit_duration_seconds',
      help: 'State commit latency',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    });
  }

  activated(cls: string): void {
    bump(this.activations, cls);
  }

  deactivated(cls: string): void {
    bump(this.deactivations, cls);
  }

  turnDone(cls: string): void {
    bump(this.turns, cls);
  }

  callDone(outcome: string, remoteMs?: number): void {
    bump(this.calls, outcome);
    if (remoteMs !== undefined) this.callSeconds.observe(remoteMs / 1000);
  }

  commitDone(ms: number): void {
    this.commitSeconds.observe(ms / 1000);
    bump(this.commits, 'ok');
  }

  /** 'conflict': the store had newer state; 'fenced': this node may have lost ownership; 'error': the store failed. */
  commitFailed(outcome: 'conflict' | 'fenced' | 'error'): void {
    bump(this.commits, outcome);
  }

  moved(kind: 'handover' | 'takeover' | 'claim' | 'lost'): void {
    bump(this.moves, kind);
  }

  memberChange(change: MemberChange): void {
    bump(this.memberChanges, change);
  }

  heartbeatGap(ms: number): void {
    this.heartbeatGapSeconds.observe(ms / 1000);
  }

  callHeld(): void {
    this.held++;
  }

  callBounced(): void {
    this.bounced++;
  }

  callDropped(reason: CallDropReason): void {
    bump(this.dropped, reason);
  }

  /** Kinds are a fixed set of names chosen by the code that drops the input, never taken from the input. */
  /** A cluster member's NATS connection: 1 while connected, 0 while reconnecting, and how often it came back. */
  watchNats(nats: { readonly connected: boolean; readonly reconnects: number }): void {
    const registers = [this.registry];
    new Gauge({
      name: 'resident_nats_connected',
      help: 'Whether this node is connected to NATS (1) or reconnecting (0)',
      registers,
      collect() {
        this.set(nats.connected ? 1 : 0);
      },
    });
    plainCounter(
      this.registry,
      'resident_nats_reconnects_total',
      'Times this node reconnected to NATS',
      () => nats.reconnects,
    );
  }

  garbage(kind: string): void {
    bump(this.garbageKinds, kind);
  }
}
