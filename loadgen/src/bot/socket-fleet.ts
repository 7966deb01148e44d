// A worker's bots for the socket scenarios: starts them along the ramp with bounded parallelism, spread over the
// targets and over loopback source addresses, retries a failed join a couple of times, and closes them at the end.
// (A join step the server asks to retry, 429 or 503 with Retry-After, is retried inside the bot: see RetryPolicy.)

import type { WorkerMetrics } from '../metrics/sample.ts';
import { StepError } from '../protocol/http-api.ts';
import { inSample, profileFor } from '../scenarios/scenario.ts';
import { type Fleet, rampTarget, sourceAddress, type WorkerPlan } from '../workers/plan.ts';
import { Bot, type BotContext, DEFAULT_RETRY } from './bot.ts';
import { Wheel } from './wheel.ts';

const PUMP_MS = 20;
const MAX_ATTEMPTS = 3;
const RETRY_AFTER_MS = 2000;
const CLOSE_BATCH = 2000;
const CLOSE_WAIT_MS = 10_000;

export class SocketFleet implements Fleet {
  readonly #plan: WorkerPlan;
  readonly #ctx: BotContext;
  readonly #bots: (Bot | undefined)[] = [];
  readonly #retries: { i: number; at: number; attempt: number }[] = [];
  #started = 0;
  #inFlight = 0;
  #pump: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(plan: WorkerPlan, metrics: WorkerMetrics) {
    if (plan.scenario.kind !== 'sockets') throw new Error('SocketFleet needs a socket scenario');
    this.#plan = plan;
    this.#ctx = {
      metrics,
      wheel: new Wheel(),
      stepTimeoutMs: plan.stepTimeoutMs,
      retry: DEFAULT_RETRY,
      targets: plan.targets,
      joined: 0,
    };
  }

  start(): void {
    this.#ctx.wheel.start();
    this.#pump = setInterval(() => this.#fill(), PUMP_MS);
  }

  gauges() {
    return { target: rampTarget(this.#plan, Date.now()), active: this.#ctx.joined, joining: this.#inFlight };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#pump);
    this.#ctx.wheel.stop();
    const bots = this.#bots.filter((b): b is Bot => b !== undefined);
    // Leave in batches, so thousands of close frames do not all land on the nodes in the same millisecond.
    for (let k = 0; k < bots.length; k += CLOSE_BATCH) {
      for (const bot of bots.slice(k, k + CLOSE_BATCH)) bot.leave();
      await new Promise((r) => setTimeout(r, 20));
    }
    const deadline = Date.now() + CLOSE_WAIT_MS;
    while ((this.#ctx.joined > 0 || this.#inFlight > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const bot of bots) bot.destroy();
  }

  #fill(): void {
    if (this.#stopped) return;
    const now = Date.now();
    const due = rampTarget(this.#plan, now);
    while (this.#inFlight < this.#plan.concurrency) {
      const retry = this.#retries[0];
      if (retry && retry.at <= now) {
        this.#retries.shift();
        this.#launch(retry.i, retry.attempt);
      } else if (this.#started < due) {
        this.#launch(this.#started++, 1);
      } else break;
    }
  }

  #launch(i: number, attempt: number): void {
    const plan = this.#plan;
    if (plan.scenario.kind !== 'sockets') return;
    const n = plan.userOffset + i;
    const profile = profileFor(plan.scenario.bots, n);
    const bot = new Bot(this.#ctx, {
      name: `lg${n.toString(36)}`,
      target: plan.targets[n % plan.targets.length]!,
      localAddress: plan.spreadSources ? sourceAddress(plan.workerIndex, i) : undefined,
      profile,
      pings: profile.pingEveryMs > 0 && inSample(n, profile.pingSample, 1),
      decodes: inSample(n, profile.decodeSample, 2),
    });
    this.#bots[i] = bot;
    this.#inFlight += 1;
    bot.start().then(
      () => {
        this.#inFlight -= 1;
      },
      (err: unknown) => {
        this.#inFlight -= 1;
        bot.destroy();
        if (this.#stopped) return;
        const kind = err instanceof StepError ? err.kind : 'join';
        this.#ctx.metrics.error(kind, (err as Error).message);
        if (attempt < MAX_ATTEMPTS) this.#retries.push({ i, at: Date.now() + RETRY_AFTER_MS, attempt: attempt + 1 });
      },
    );
  }
}
