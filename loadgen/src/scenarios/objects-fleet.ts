// The objects scenario: simulated users without sockets. One object-runtime client (role "client": it hosts
// nothing) per worker calls each user's Player object, `touch()`, once per period over NATS. Users exist only as
// indexes and one status byte each, so a worker can simulate a million of them.

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Player } from '@resident/backend/game';
import { ObjectRuntime } from '@resident/backend/objects';
import { loadNatsClientAuth, nodeConnectOptions } from '@resident/shared/nats';
import { pino } from 'pino';
import type { WorkerMetrics } from '../metrics/sample.ts';
import { type Fleet, rampTarget, type WorkerPlan } from '../workers/plan.ts';

const TICK_MS = 50;
const STOP_WAIT_MS = 10_000;

enum Status {
  None = 0,
  Held = 1,
  Failed = 2,
}

export class ObjectsFleet implements Fleet {
  readonly #plan: WorkerPlan;
  readonly #metrics: WorkerMetrics;
  readonly #nc: NatsConnection;
  readonly #runtime: ObjectRuntime;
  readonly #status: Uint8Array;
  /** Users due for a touch, oldest first, read from #head (shift() on a long array is O(n)). */
  #queue: number[] = [];
  #head = 0;
  readonly #periodMs: number;
  readonly #spreadMs: number;
  #held = 0;
  #inFlight = 0;
  #last = 0;
  #timer: NodeJS.Timeout | undefined;

  static async create(plan: WorkerPlan, metrics: WorkerMetrics): Promise<ObjectsFleet> {
    if (!plan.objects) throw new Error('the objects scenario needs the cluster NATS and name');
    const { natsUrls, cluster, auth } = plan.objects;
    // An object-runtime client is a cluster member: it connects with the node role.
    const options = nodeConnectOptions(cluster, loadNatsClientAuth(auth));
    const nc = await connect({ servers: natsUrls, name: `loadgen-${plan.worker}`, noAsyncTraces: true, ...options });
    const runtime = await ObjectRuntime.start({
      classes: [Player],
      role: 'client',
      nodeId: `loadgen-${plan.runId}-${plan.worker}`,
      nats: { connection: nc, cluster: plan.objects.cluster },
      log: pino({ level: 'warn' }),
    });
    return new ObjectsFleet(plan, metrics, nc, runtime);
  }

  private constructor(plan: WorkerPlan, metrics: WorkerMetrics, nc: NatsConnection, runtime: ObjectRuntime) {
    if (plan.scenario.kind !== 'objects') throw new Error('ObjectsFleet needs the objects scenario');
    this.#plan = plan;
    this.#metrics = metrics;
    this.#nc = nc;
    this.#runtime = runtime;
    this.#status = new Uint8Array(plan.users);
    this.#periodMs = plan.scenario.touchEveryMs;
    // Without a ramp, first touches still spread over a second instead of landing in one tick.
    this.#spreadMs = Math.max(plan.rampMs, 1000);
  }

  start(): void {
    // Starting the runtime may take longer than the coordinator's head start: users due since t0 are not skipped.
    this.#last = Math.min(Date.now(), this.#plan.t0 - 1);
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  gauges() {
    const queued = this.#queue.length - this.#head;
    return { target: rampTarget(this.#plan, Date.now()), active: this.#held, joining: this.#inFlight + queued };
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#queue = [];
    this.#head = 0;
    const deadline = Date.now() + STOP_WAIT_MS;
    while (this.#inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.#runtime.stop().catch(() => undefined);
    await this.#nc.close().catch(() => undefined);
  }

  #tick(): void {
    const now = Date.now();
    this.#enqueueDue(this.#last, now);
    this.#last = now;
    while (this.#inFlight < this.#plan.concurrency && this.#head < this.#queue.length)
      this.#touch(this.#queue[this.#head++]!);
    if (this.#head > 65_536) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** User i starts at t0 + spread·i/users and touches every period after: the users due in (from, to]. */
  #enqueueDue(from: number, to: number): void {
    const { t0, users } = this.#plan;
    const rate = users / this.#spreadMs;
    for (let k = 0; t0 + k * this.#periodMs <= to; k++) {
      const base = t0 + k * this.#periodMs;
      const lo = Math.max(0, Math.floor((from - base) * rate) + 1);
      const hi = Math.min(users - 1, Math.floor((to - base) * rate));
      for (let i = lo; i <= hi; i++) this.#queue.push(i);
    }
  }

  #touch(i: number): void {
    const plan = this.#plan;
    const id = `${plan.objects!.idPrefix}${plan.userOffset + i}`;
    const started = performance.now();
    this.#inFlight += 1;
    this.#runtime
      .get(Player, id)
      .touch()
      .then(
        () => {
          this.#metrics.hist.call.record(performance.now() - started);
          this.#setStatus(i, Status.Held);
        },
        (err: unknown) => {
          this.#metrics.error('call', `Player.touch(${id}): ${(err as Error).message}`);
          this.#setStatus(i, Status.Failed);
        },
      )
      .finally(() => {
        this.#inFlight -= 1;
        this.#metrics.counters.calls += 1;
      });
  }

  #setStatus(i: number, status: Status): void {
    const was = this.#status[i];
    if (was === status) return;
    if (was === Status.Held) this.#held -= 1;
    if (status === Status.Held) this.#held += 1;
    this.#status[i] = status;
  }
}
