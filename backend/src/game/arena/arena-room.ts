// The arena: a server-authoritative .io room. Clients send numbered protobuf inputs; the room steps the shared
// rules at a fixed rate, shows each client its area of interest, and keeps the players' profiles (Player objects,
// or the stateless twin's in stateless mode) and the leaderboard up to date. It survives its node (ResidentRoom): the state is checkpointed and restored elsewhere.
import { type AuthContext, type Client, CloseCode, type RoomException } from '@colyseus/core';
import {
  type ArenaJoinOptions,
  type ChatLine,
  decodeInput,
  ErrorCode,
  CloseCode as GameClose,
  isFiniteSteer,
  LIMITS,
  RESPAWN_MS,
  ServerMessage,
  TICK_HZ,
} from '@resident/shared/game';
import { ResidentRoom, type Restored } from '../../colyseus/rooms/resident-room.ts';
import type { GuestClaims } from '../auth/guest-tokens.ts';
import { admit, claims, type SeatClaims } from '../auth/room-auth.ts';
import type { GameContext } from '../context.ts';
import { answerPing } from '../ping.ts';
import { logUncaught } from '../room-errors.ts';
import { applyRoomLimits, expectJoinAck, onBytes, seatJoined, seatLeft, seatReturned } from '../room-guards.ts';
import { ArenaState } from '../state.ts';
import { ClientGate } from './client-gate.ts';
import { Interest } from './interest.ts';
import { privateCode } from './room-code.ts';
import { Simulation, type StepEvents } from './simulation.ts';
import { TickTimer } from './tick-timer.ts';

/** Room settings, given by the server's room definition; clients cannot set them. The tick rate is TICK_HZ. */
export interface ArenaSettings {
  maxClients: number;
  pellets: number;
  /** false: every client sees the whole arena (benchmark baseline). */
  aoi: boolean;
}

export const DEFAULT_ARENA: ArenaSettings = { maxClients: 50, pellets: 600, aoi: true };

type ArenaClient = Client<{ auth: GuestClaims }>;

interface Session {
  gate: ClientGate;
  bestMass: number;
  /** XP and eats not yet granted to the player's profile. */
  unsentXp: number;
  unsentEats: number;
  /** When the client was last told it is over a rate (told at most once per RATE_NOTICE_MS). */
  rateNoticeAt: number;
}

const GRANT_EVERY_MS = 2000;
/** A client that was refused for rate reasons hears about it at most this often. */
const RATE_NOTICE_MS = 1000;

export class ArenaRoom extends ResidentRoom<
  { state: ArenaState; metadata: { node: string; code: string } },
  GameContext
> {
  override state = new ArenaState();
  override maxClients = DEFAULT_ARENA.maxClients;
  /** Simulation step durations, and state patch (encode + send to every view) durations. */
  readonly ticks = new TickTimer();
  readonly patches = new TickTimer();
  private sim!: Simulation;
  private interest!: Interest;
  private settings = DEFAULT_ARENA;
  private readonly sessions = new Map<string, Session>();

  static override authenticate(game: GameContext, token: string, _options: unknown, auth: AuthContext): SeatClaims {
    return admit(game, token, auth);
  }

  /** A new room, or one restored on this node with its state (pellets, blobs, code) as it was checkpointed. */
  override onCreate(options: ArenaJoinOptions & Partial<ArenaSettings>, restored?: Restored): void {
    applyRoomLimits(this, this.resident.rooms);
    this.settings = settingsFrom(options);
    this.maxClients = this.settings.maxClients;
    if (options?.private === true) this.makePrivate(restored !== undefined);
    this.startSimulation();
    this.sim.seed(); // a restored arena is topped up to its pellet count
    const notBytes = (what: string) => (client: ArenaClient) =>
      this.refuse(client, ErrorCode.badFrame, `${what} must be a byte message with a protobuf payload`);
    onBytes(this, 'input', (client: ArenaClient, bytes) => this.onInput(client, bytes), notBytes('input'));
    onBytes(this, 'ping', (client: ArenaClient, bytes) => this.onPing(client, bytes), notBytes('ping'));
    this.onMessage('chat', (client: ArenaClient, message: unknown) => this.onChat(client, message));
    this.onMessage('profile', (client: ArenaClient) =>
      this.request(client, () => this.resident.services.profile(claims(client))),
    );
    this.onMessage('leaderboard', (client: ArenaClient) => this.request(client, () => this.resident.services.top()));
    this.onMessage('*', (client: ArenaClient, type: string | number) =>
      this.refuse(client, ErrorCode.unknownMessage, `unknown message type "${String(type)}"`),
    );
    this.clock.setInterval(() => this.grantAll(), GRANT_EVERY_MS);
  }

  override async onJoin(client: ArenaClient): Promise<void> {
    seatJoined(this.resident.seats, client);
    const profile = await this.resident.services.enter(claims(client));
    this.sim.addBlob(client.sessionId, profile.name, profile.color);
    this.openSession(client);
    expectJoinAck(this, client);
  }

  /**
   * Dropped without consent: hold the seat a while; not for a client disconnected for abuse or for sending more
   * messages per second than allowed (Colyseus closes those with WITH_ERROR).
   */
  override onDrop(client: ArenaClient, code?: number): void {
    if (code === GameClose.abuse || code === CloseCode.WITH_ERROR) return;
    Promise.resolve(this.allowReconnection(client, 20)).catch(() => undefined); // not back in time: onLeave follows
  }

  override onReconnect(client: ArenaClient): void {
    seatReturned(this.resident.seats, client);
    this.openSession(client);
  }

  override async onLeave(client: ArenaClient): Promise<void> {
    seatLeft(this.resident.seats, client);
    const session = this.sessions.get(client.sessionId);
    const blob = this.state.blobs.get(client.sessionId);
    this.sessions.delete(client.sessionId);
    this.interest.detach(client);
    if (blob) this.interest.forget([blob]);
    this.sim.removeBlob(client.sessionId);
    if (session && client.auth) await this.recordGame(client.auth, session, blob?.mass ?? 0);
  }

  override onUncaughtException(error: RoomException, method: string): void {
    logUncaught(this, error, method);
  }

  override broadcastPatch(): boolean {
    const started = performance.now();
    const sent = super.broadcastPatch();
    this.patches.record(performance.now() - started);
    return sent;
  }

  private startSimulation(): void {
    const { nodeId, log } = this.resident;
    this.state.node = nodeId;
    this.sim = new Simulation(this.state, { pellets: this.settings.pellets });
    this.interest = new Interest(this.sim, !this.settings.aoi);
    this.setMetadata({ node: nodeId, code: this.state.code }).catch((err: unknown) =>
      log.warn(`arena ${this.roomId}: could not list its metadata: ${String(err)}`),
    );
    this.setSimulationInterval(() => this.tick(), 1000 / TICK_HZ);
    // Patches go out right after each step (below), not on a timer of their own that could lag it by up to a tick:
    // an input's acknowledgement reaches the client one step after the input arrived, not two.
    this.patchRate = null;
  }

  /** A private arena's roomId is its join code: a new one for a new room (a client cannot choose it), kept on restore. */
  private makePrivate(restoring: boolean): void {
    const code = restoring ? this.roomId : privateCode();
    this.roomId = code;
    this.state.code = code;
    this.setPrivate(true).catch((err: unknown) =>
      this.resident.log.warn(`arena ${code}: could not unlist: ${String(err)}`),
    );
  }

  private openSession(client: ArenaClient): void {
    if (!this.sessions.has(client.sessionId)) {
      this.sessions.set(client.sessionId, {
        gate: new ClientGate(Date.now()),
        bestMass: 0,
        unsentXp: 0,
        unsentEats: 0,
        rateNoticeAt: 0,
      });
    }
    this.interest.attach(client);
  }

  private tick(): void {
    const started = performance.now();
    const events = this.sim.step(Date.now(), (id) => this.sessions.get(id)?.gate.take() ?? []);
    this.apply(events);
    this.interest.forget(events.pelletsRemoved);
    this.interest.refreshDue(this.clients, this.state.tick);
    this.ticks.record(performance.now() - started);
    this.broadcastPatch();
  }

  private apply(events: StepEvents): void {
    for (const [id, xp] of events.xp) {
      const s = this.sessions.get(id);
      if (!s) continue;
      s.unsentXp += xp;
      s.unsentEats += events.eats.get(id) ?? 0;
    }
    for (const [id, blob] of this.state.blobs) {
      const s = this.sessions.get(id);
      if (s && blob.mass > s.bestMass) s.bestMass = blob.mass;
    }
    for (const kill of events.kills) {
      const by = this.state.blobs.get(kill.eater)?.name ?? '';
      this.clients.getById(kill.prey)?.send(ServerMessage.eaten, { by, respawnInMs: RESPAWN_MS });
    }
  }

  private onInput(client: ArenaClient, bytes: Uint8Array): void {
    const session = this.sessions.get(client.sessionId);
    if (!session) return;
    if (bytes.byteLength > LIMITS.maxInputBytes) {
      return this.refuse(
        client,
        ErrorCode.frameTooLarge,
        `input is ${bytes.byteLength} bytes; at most ${LIMITS.maxInputBytes}`,
      );
    }
    const verdict = session.gate.admitInput(Date.now());
    if (verdict === 'flood') return client.leave(GameClose.abuse, 'input flood');
    if (verdict === 'rate_limited')
      return this.rateLimited(client, `more than ${LIMITS.inputsPerSecond} inputs per second`);
    let input: ReturnType<typeof decodeInput>;
    try {
      input = decodeInput(bytes);
    } catch (err) {
      return this.refuse(client, ErrorCode.badFrame, `input is not a valid protobuf Input: ${(err as Error).message}`);
    }
    if (input.blob && input.blob !== client.sessionId) {
      return this.refuse(client, ErrorCode.notYourBlob, 'you can steer only your own blob');
    }
    if (!isFiniteSteer(input)) return this.refuse(client, ErrorCode.badNumber, 'dx and dy must be finite numbers');
    if (input.seq <= session.gate.lastSeq) return; // a late duplicate: already applied
    session.gate.push({ seq: input.seq, dx: input.dx, dy: input.dy });
  }

  private onPing(client: ArenaClient, bytes: Uint8Array): void {
    if (!answerPing(client, bytes)) this.refuse(client, ErrorCode.badFrame, 'ping is not a valid protobuf Ping');
  }

  /** A request the client may make a few times a second; the reply is whatever `answer` resolves to. */
  private request<T>(client: ArenaClient, answer: () => Promise<T>): Promise<T | undefined> {
    if (this.sessions.get(client.sessionId)?.gate.takeRequest(Date.now()) === false) {
      this.rateLimited(client, `at most ${LIMITS.requestsPerSecond} profile or leaderboard requests per second`);
      return Promise.resolve(undefined);
    }
    // Sent with `send` instead of `request`, nobody awaits this: never let it reject unhandled.
    return answer().catch((err: unknown) => {
      this.resident.log.warn(`arena ${this.roomId}: request failed: ${String(err)}`);
      return undefined;
    });
  }

  private onChat(client: ArenaClient, message: unknown): void {
    const text =
      typeof (message as { text?: unknown })?.text === 'string' ? (message as { text: string }).text.trim() : '';
    if (!text) return this.refuse(client, ErrorCode.badFrame, 'chat needs { text: string }');
    if ([...text].length > LIMITS.chatMaxLength) {
      return this.refuse(client, ErrorCode.chatTooLong, `chat is limited to ${LIMITS.chatMaxLength} characters`);
    }
    const session = this.sessions.get(client.sessionId);
    if (session?.gate.takeChat(Date.now()) !== 'ok') {
      return this.refuse(
        client,
        ErrorCode.chatTooFast,
        `at most ${LIMITS.chatPerWindow} lines per ${LIMITS.chatWindowMs / 1000} s`,
      );
    }
    const line: ChatLine = { from: client.sessionId, name: claims(client).name, text, at: Date.now() };
    this.broadcast(ServerMessage.chat, line);
  }

  /** Tells the client what it did wrong; a client that keeps at it is disconnected. */
  private refuse(client: ArenaClient, code: ErrorCode, message: string): void {
    client.send(ServerMessage.error, { code, message });
    if (this.sessions.get(client.sessionId)?.gate.strike(Date.now())) {
      client.leave(GameClose.abuse, 'too many rejected messages');
    }
  }

  /** Over a rate: dropped without a strike (a stalled network delivers bursts), and said at most once a second. */
  private rateLimited(client: ArenaClient, message: string): void {
    const session = this.sessions.get(client.sessionId);
    const now = Date.now();
    if (!session || now - session.rateNoticeAt < RATE_NOTICE_MS) return;
    session.rateNoticeAt = now;
    client.send(ServerMessage.error, { code: ErrorCode.rateLimited, message });
  }

  private grantAll(): void {
    for (const client of this.clients) {
      const s = this.sessions.get(client.sessionId);
      const auth = client.auth as GuestClaims | undefined;
      if (!s || !auth || (s.unsentXp === 0 && s.unsentEats === 0)) continue;
      const { unsentXp, unsentEats } = s;
      s.unsentXp = 0;
      s.unsentEats = 0;
      this.resident.services.grant(auth, unsentXp, unsentEats).catch(() => {
        // Retried with the next grant or at the end of the game (at most once more: a timed-out call that did
        // land is granted twice; the amounts are small and XP only grows).
        s.unsentXp += unsentXp;
        s.unsentEats += unsentEats;
      });
    }
  }

  private async recordGame(auth: GuestClaims, s: Session, finalMass: number): Promise<void> {
    const mass = Math.round(Math.max(s.bestMass, finalMass));
    const { services, log } = this.resident;
    try {
      await services.recordGame(auth, { mass, eats: s.unsentEats, xp: s.unsentXp });
      await services.submitScore(auth, mass);
    } catch (err) {
      log.warn(`arena ${this.roomId}: could not record the game of player ${auth.sub}: ${String(err)}`);
    }
  }
}

function settingsFrom(options: Partial<ArenaSettings> | undefined): ArenaSettings {
  const int = (v: unknown, lo: number, hi: number, d: number) =>
    Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi ? (v as number) : d;
  return {
    maxClients: int(options?.maxClients, 1, 500, DEFAULT_ARENA.maxClients),
    pellets: int(options?.pellets, 0, 20_000, DEFAULT_ARENA.pellets),
    aoi: options?.aoi !== false,
  };
}
