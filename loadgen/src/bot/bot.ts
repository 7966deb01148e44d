// One bot: guest login, HTTP matchmaking, WebSocket, the Colyseus join handshake, then its profile's traffic (inputs,
// pings) and counting what it receives. When its room's node goes away it gets back in through any node: into the
// moved room by its reconnection token, as the browser client does, or, for a room that ends with its node, into a
// room matchmaking finds (the profile's `recover`). Idle bots keep only a few fields; decoding and RTT bookkeeping
// exist only on the sampled bots that need them.

import { decodePong, encodeInput, encodePing } from '@resident/shared/game';
import { DEFAULT_REJOIN, REJOINABLE_CODES, rejoin } from '@resident/shared/net/rejoin';
import { unpack } from 'msgpackr';
import type { WorkerMetrics } from '../metrics/sample.ts';
import {
  bytesHeader,
  bytesMessage,
  Code,
  JOIN_ACK,
  PING_FRAME,
  readError,
  readHead,
  readJoinRoom,
  readMessageType,
} from '../protocol/colyseus.ts';
import {
  type Call,
  guestLogin,
  joinOrCreate,
  reconnect,
  type SeatReservation,
  StepError,
  seatPath,
} from '../protocol/http-api.ts';
import { LeanSocket, type SocketListener } from '../protocol/lean-socket.ts';
import type { BotProfile } from '../scenarios/scenario.ts';
import { StateCheck } from './state-check.ts';
import type { Timed, Wheel } from './wheel.ts';

const INPUT = bytesHeader('input');
const PING = bytesHeader('ping');
const ACK_RING = 64;

/** How a bot honours a server that asks it to retry a join step (HTTP 429, or 503 with Retry-After). */
export interface RetryPolicy {
  /** Retries per join at most; the next refusal is an error (`<step>-refused`). */
  readonly maxRetries: number;
  /** A longer wait asked for is cut to this, so a bot does not wait forever. */
  readonly maxWaitMs: number;
}

/** 10 retries of at most 30 s: a join gives up after about 5 minutes of being refused. */
export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 10, maxWaitMs: 30_000 };

/** What all bots of a worker share. */
export interface BotContext {
  readonly metrics: WorkerMetrics;
  readonly wheel: Wheel;
  readonly stepTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** Every node a bot may re-join through. */
  readonly targets: readonly string[];
  /** Counts bots that are joined right now. */
  joined: number;
}

export interface BotSpec {
  readonly name: string;
  /** Base URL of the node that serves this bot's login and matchmaking. */
  readonly target: string;
  readonly localAddress: string | undefined;
  readonly profile: BotProfile;
  readonly pings: boolean;
  readonly decodes: boolean;
}

enum Phase {
  Joining = 0,
  Joined = 1,
  Closed = 2,
}

/** Per-bot extras of the bots that decode state: the checker and when each recent input was sent. */
interface Decoding {
  check: StateCheck;
  sentAt: Float64Array;
  lastAck: number;
}

export class Bot implements SocketListener, Timed {
  #phase = Phase.Joining;
  #ws: LeanSocket | undefined;
  #sessionId = '';
  /** What a re-join needs: the login token, the room and the reconnection token of the last JOIN_ROOM. */
  #token = '';
  #roomId = '';
  #reconnectionToken = '';
  #rejoining = false;
  #seq = 0;
  #angle = Math.random() * Math.PI * 2;
  #nextInput = 0;
  #nextPing = 0;
  #pingSentAt = 0;
  #decoding: Decoding | undefined;
  #join: { resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout } | undefined;
  /** Ends a Retry-After wait early (the run is stopping). */
  #wake: (() => void) | undefined;
  #stopping = false;

  constructor(
    readonly ctx: BotContext,
    readonly spec: BotSpec,
  ) {}

  get joined(): boolean {
    return this.#phase === Phase.Joined;
  }

  /** Resolves once joined; rejects with a StepError naming the step that failed. */
  async start(): Promise<void> {
    const { spec, ctx } = this;
    const started = performance.now();
    const budget = { left: ctx.retry.maxRetries };
    const { hist } = ctx.metrics;
    const login = await this.#step(budget, () => guestLogin(spec.target, spec.name, this.#call(ctx.stepTimeoutMs)));
    const loggedIn = performance.now();
    hist.joinLogin.record(loggedIn - started);
    ctx.metrics.counters.logins += 1;
    this.#token = login.token;
    const seat = await this.#step(budget, () =>
      joinOrCreate(spec.target, spec.profile.room, login.token, this.#call(ctx.stepTimeoutMs)),
    );
    const seated = performance.now();
    hist.joinMatchmake.record(seated - loggedIn);
    if (this.#stopping) throw new StepError('stopped', 'run stopped while joining');
    await this.#connect(seat, seatPath(seat, login.token), spec.target);
    hist.joinConnect.record(performance.now() - seated);
    hist.join.record(performance.now() - started);
  }

  /**
   * One HTTP step of the join, tried again after the wait the server asks for (capped), as long as the join's retry
   * budget lasts. Each retry counts in `retries`, not in `errors`; a refusal past the budget is an error.
   */
  async #step<T>(budget: { left: number }, run: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await run();
      } catch (err) {
        const wait = err instanceof StepError ? err.retryAfterMs : undefined;
        if (wait === undefined || this.#stopping) throw err;
        const { maxRetries, maxWaitMs } = this.ctx.retry;
        if (budget.left <= 0) {
          throw new StepError(
            `${(err as StepError).kind}-refused`,
            `${(err as Error).message} (after ${maxRetries} retries)`,
          );
        }
        budget.left -= 1;
        this.ctx.metrics.counters.retries += 1;
        await this.#sleep(Math.min(wait, maxWaitMs));
        if (this.#stopping) throw new StepError('stopped', 'run stopped while waiting to retry');
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  /** Opens the seat's WebSocket; resolves on JOIN_ROOM. */
  async #connect(seat: SeatReservation, path: string, target: string): Promise<void> {
    const { spec, ctx } = this;
    this.#sessionId = seat.sessionId;
    this.#roomId = seat.roomId;
    this.#phase = Phase.Joining;
    if (spec.decodes) this.#decoding = { check: new StateCheck(), sentAt: new Float64Array(ACK_RING), lastAck: 0 };
    const [host, port] = hostPort(seat.publicAddress, target);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#ws?.destroy();
        reject(new StepError('connect', `no JOIN_ROOM within ${ctx.stepTimeoutMs} ms of connecting`));
      }, ctx.stepTimeoutMs);
      this.#join = { resolve, reject, timer };
      this.#ws = new LeanSocket({ host, port, path, localAddress: spec.localAddress, noDelay: true }, this);
    });
  }

  /** The room's node went away: back into the room (restored elsewhere) or into a new one, through any node. */
  async #rejoin(code: number): Promise<void> {
    const since = performance.now();
    this.#rejoining = true;
    const policy = { ...DEFAULT_REJOIN, endpoints: this.ctx.targets };
    // A node busy with everyone's re-joins asks them to wait (503 Retry-After): they do, as a join does.
    const budget = { left: this.ctx.retry.maxRetries };
    const attempt =
      this.spec.profile.recover === 'reconnect'
        ? (endpoint: string) => this.#reconnectVia(endpoint, budget)
        : (endpoint: string) => this.#rematchVia(endpoint, budget);
    try {
      await rejoin(policy, attempt, () => !this.#stopping);
      this.ctx.metrics.hist.rejoin.record(performance.now() - since);
    } catch (err) {
      if (!this.#stopping)
        this.ctx.metrics.error('rejoin', `${this.spec.profile.room}: closed ${code}, then ${(err as Error).message}`);
    } finally {
      this.#rejoining = false;
    }
  }

  async #reconnectVia(endpoint: string, budget: { left: number }): Promise<void> {
    const seat = await this.#step(budget, () =>
      reconnect(endpoint, this.#roomId, this.#reconnectionToken, this.#token, this.#call(this.#attemptMs())),
    );
    if (this.#stopping) throw new StepError('stopped', 'run stopped while re-joining');
    await this.#connect(seat, seatPath(seat, this.#token, this.#reconnectionToken), endpoint);
  }

  async #rematchVia(endpoint: string, budget: { left: number }): Promise<void> {
    const seat = await this.#step(budget, () =>
      joinOrCreate(endpoint, this.spec.profile.room, this.#token, this.#call(this.#attemptMs())),
    );
    if (this.#stopping) throw new StepError('stopped', 'run stopped while re-joining');
    await this.#connect(seat, seatPath(seat, this.#token), endpoint);
  }

  /** A request from the bot's own source address, as its WebSocket: the server counts seats per address. */
  #call(timeoutMs: number): Call {
    return { timeoutMs, localAddress: this.spec.localAddress };
  }

  /** A re-join attempt's request: bounded as the browser's, so the dead node's endpoint costs little. */
  #attemptMs(): number {
    return Math.min(this.ctx.stepTimeoutMs, DEFAULT_REJOIN.attemptTimeoutMs);
  }

  /** Consented leave: a close frame; the server's close ends it. */
  leave(): void {
    this.#stopping = true;
    this.#wake?.();
    if (this.#phase === Phase.Closed) return;
    this.#ws?.close(1000);
  }

  destroy(): void {
    this.#stopping = true;
    this.#wake?.();
    this.#ws?.destroy();
  }

  onOpen(): void {}

  onMessage(data: Buffer): void {
    const m = this.ctx.metrics;
    m.counters.msgsIn += 1;
    m.counters.bytesIn += data.length;
    const { code, it } = readHead(data);
    try {
      if (code === Code.roomStatePatch || code === Code.roomState)
        this.#onState(data, it, code === Code.roomStatePatch);
      else if (code === Code.roomDataBytes) this.#onBytes(data, it);
      else if (code === Code.joinRoom) this.#onJoinRoom(data, it);
      else if (code === Code.ping) this.#onProtocolPong();
      else if (code === Code.roomData) this.#onData(data, it);
      else if (code === Code.error) {
        const e = readError(data, it);
        m.error('room-error', `${e.code} ${e.message}`);
      }
    } catch (err) {
      m.error('decode', `${this.spec.profile.room}: ${(err as Error).message}`);
    }
  }

  onClose(code: number, reason: string): void {
    const wasJoined = this.#phase === Phase.Joined;
    this.#phase = Phase.Closed;
    this.#decoding = undefined;
    if (this.#join) {
      clearTimeout(this.#join.timer);
      this.#join.reject(new StepError('connect', `WebSocket closed before joining: ${code} ${reason}`.trim()));
      this.#join = undefined;
      return;
    }
    if (!wasJoined) return;
    this.ctx.joined -= 1;
    if (this.#stopping) return;
    if (REJOINABLE_CODES.has(code) && this.#reconnectionToken) return void this.#rejoin(code);
    this.ctx.metrics.error('disconnect', `${this.spec.profile.room}: closed ${code} ${reason}`.trim());
  }

  /** Inputs and pings, driven by the worker's wheel. May be called early: then it only names its due time. */
  onTimer(now: number): number {
    if (this.#phase !== Phase.Joined || this.#stopping) return 0;
    const { inputHz, pingEveryMs } = this.spec.profile;
    if (inputHz > 0 && now >= this.#nextInput) {
      this.#sendInput();
      this.#nextInput = Math.max(this.#nextInput + 1000 / inputHz, now);
    }
    if (this.spec.pings && now >= this.#nextPing) {
      this.#ping();
      this.#nextPing = now + pingEveryMs;
    }
    const nextInput = inputHz > 0 ? this.#nextInput : Number.POSITIVE_INFINITY;
    const nextPing = this.spec.pings ? this.#nextPing : Number.POSITIVE_INFINITY;
    return Math.min(nextInput, nextPing);
  }

  #ping(): void {
    if (this.spec.profile.pingKind === 'app') {
      this.#send(bytesMessage(PING, encodePing(performance.timeOrigin + performance.now())));
    } else {
      // A Colyseus PING carries no timestamp: remember when it left (one in flight at a time).
      this.#pingSentAt = performance.now();
      this.#send(PING_FRAME);
    }
  }

  #onJoinRoom(data: Buffer, it: { offset: number }): void {
    const join = readJoinRoom(data, it);
    this.#reconnectionToken = join.reconnectionToken;
    this.#ws!.send(JOIN_ACK);
    this.ctx.metrics.counters.msgsOut += 1;
    this.#decoding?.check.handshake(join.reflection);
    if (!this.#join) return;
    clearTimeout(this.#join.timer);
    this.#phase = Phase.Joined;
    this.ctx.joined += 1;
    this.ctx.metrics.counters[this.#rejoining ? 'rejoins' : 'joins'] += 1;
    this.#join.resolve();
    this.#join = undefined;
    this.#scheduleTraffic();
  }

  #scheduleTraffic(): void {
    const { inputHz, pingEveryMs } = this.spec.profile;
    if (inputHz === 0 && !(this.spec.pings && pingEveryMs > 0)) return;
    // Spread first sends over one period, so bots that joined together do not send together.
    const now = Date.now();
    this.#nextInput = now + Math.random() * (inputHz > 0 ? 1000 / inputHz : 0);
    this.#nextPing = now + Math.random() * pingEveryMs;
    this.ctx.wheel.schedule(this, Math.min(inputHz > 0 ? this.#nextInput : Number.POSITIVE_INFINITY, this.#nextPing));
  }

  #onState(data: Buffer, it: { offset: number }, patch: boolean): void {
    if (patch) this.ctx.metrics.counters.patches += 1;
    const d = this.#decoding;
    if (!d) return;
    const problem = d.check.apply(data, it);
    this.ctx.metrics.counters.decodedPatches += 1;
    if (problem) this.ctx.metrics.error('state', problem);
    const own = d.check.ownAck(this.#sessionId);
    if (own.problem) this.ctx.metrics.error('state', own.problem);
    if (own.ack !== undefined && own.ack > d.lastAck) this.#acked(d, own.ack);
  }

  /** Every input up to `ack` is now acknowledged: record each one's RTT (those still in the ring). */
  #acked(d: Decoding, ack: number): void {
    const now = performance.now();
    for (let s = Math.max(d.lastAck + 1, ack - ACK_RING + 1); s <= ack; s++) {
      const sent = d.sentAt[s % ACK_RING]!;
      if (sent > 0) this.ctx.metrics.hist.ack.record(now - sent);
      d.sentAt[s % ACK_RING] = 0;
    }
    d.lastAck = ack;
  }

  #onBytes(data: Buffer, it: { offset: number }): void {
    if (readMessageType(data, it) === 'pong') this.#onPong(data.subarray(it.offset));
  }

  #onData(data: Buffer, it: { offset: number }): void {
    const type = readMessageType(data, it);
    if (type !== 'error' && type !== 'pong' && type !== 'eaten') return;
    const body = data.length > it.offset ? unpack(data.subarray(it.offset)) : undefined;
    if (type === 'eaten') return this.#onEaten(body as { respawnInMs?: number } | undefined);
    // A pong sent with client.send() arrives as msgpack'd bytes; the contract's form is a bytes message.
    if (type === 'pong' && body instanceof Uint8Array) return this.#onPong(body);
    const err = (body ?? {}) as { code?: string; message?: string };
    this.ctx.metrics.error('game-error', `${err.code ?? '?'}: ${err.message ?? ''}`);
  }

  #onProtocolPong(): void {
    if (this.#pingSentAt > 0) this.ctx.metrics.hist.cping.record(performance.now() - this.#pingSentAt);
    this.#pingSentAt = 0;
  }

  /** Eaten: like a player, stop steering until the respawn; inputs in flight would only measure the wait. */
  #onEaten(body: { respawnInMs?: number } | undefined): void {
    this.#nextInput = Date.now() + (body?.respawnInMs ?? 2000);
    this.#decoding?.sentAt.fill(0);
  }

  #onPong(payload: Uint8Array): void {
    const { sent } = decodePong(payload);
    this.ctx.metrics.hist.ping.record(performance.timeOrigin + performance.now() - sent);
  }

  #sendInput(): void {
    // Wander: a slowly turning heading, so blobs move about the arena like players.
    this.#angle += (Math.random() - 0.5) * 0.6;
    const seq = ++this.#seq;
    this.#send(bytesMessage(INPUT, encodeInput({ seq, dx: Math.cos(this.#angle), dy: Math.sin(this.#angle) })));
    this.ctx.metrics.counters.inputs += 1;
    if (this.#decoding) this.#decoding.sentAt[seq % ACK_RING] = performance.now();
  }

  #send(frame: Uint8Array): void {
    this.#ws!.send(frame);
    this.ctx.metrics.counters.msgsOut += 1;
    this.ctx.metrics.counters.bytesOut += frame.length;
  }
}

/** Host and port of the seat's node, else of the target that handed out the seat. */
function hostPort(publicAddress: string | undefined, target: string): [string, number] {
  const url = new URL(publicAddress ? `http://${publicAddress}` : target);
  // "localhost" may resolve to ::1, which a 127.x source address cannot reach.
  const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');
  return [host, Number(url.port || 80)];
}
