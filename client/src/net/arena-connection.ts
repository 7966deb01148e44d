// One arena room for the lifetime of a match: joins through ResilientRoom (so a node's death is a short
// "reconnecting…" rather than the end), and speaks the arena protocol: protobuf inputs and pings, JSON chat.

import type { Room } from '@colyseus/sdk';
import {
  ARENA_ROOM,
  type ArenaJoinOptions,
  type ChatLine,
  ClientMessage,
  decodePong,
  encodeInput,
  encodePing,
  type GameError,
  type InputFrame,
  ServerMessage,
} from '@resident/shared/game';
import { ResilientRoom } from '@resident/shared/net';
import { knownEndpoints } from '../config.ts';
import type { ArenaStateView } from './arena-state.ts';

export type JoinMode = { kind: 'quick' } | { kind: 'private' } | { kind: 'code'; code: string };

export interface Eaten {
  by: string;
  respawnInMs: number;
}

export interface ArenaEvents {
  chat: (line: ChatLine) => void;
  error: (error: GameError) => void;
  eaten: (eaten: Eaten) => void;
  reconnecting: () => void;
  reconnected: () => void;
  /** The room is gone for good (kicked, re-join failed, or left). */
  closed: (reason: string) => void;
}

const PING_EVERY_MS = 1000;
/** How long a join or a re-join after a failover keeps trying the known nodes (a restore takes ~2-3 s). */
const REJOIN_TIMEOUT_MS = 12_000;

export class ArenaConnection {
  /** Smoothed round-trip time in ms (protobuf ping/pong), undefined until the first pong. */
  rtt: number | undefined;
  reconnecting = false;
  /** How many times this match followed its room to another node. */
  failovers = 0;
  private readonly listeners: { [K in keyof ArenaEvents]: ArenaEvents[K][] } = {
    chat: [],
    error: [],
    eaten: [],
    reconnecting: [],
    reconnected: [],
    closed: [],
  };
  private pingTimer: ReturnType<typeof setInterval> | undefined;

  private constructor(private readonly resilient: ResilientRoom<ArenaStateView>) {
    this.wire();
    this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
    this.ping();
  }

  /** Joins with the guest's token (every join and re-join sends it; the room's onAuth checks it). */
  static async join(mode: JoinMode, token: string): Promise<ArenaConnection> {
    const endpoints = knownEndpoints();
    const policy = { timeoutMs: REJOIN_TIMEOUT_MS, token };
    const options: ArenaJoinOptions = {};
    const room =
      mode.kind === 'quick'
        ? await ResilientRoom.joinOrCreate<ArenaStateView>(endpoints, ARENA_ROOM, { ...options }, policy)
        : mode.kind === 'private'
          ? await ResilientRoom.create<ArenaStateView>(endpoints, ARENA_ROOM, { private: true }, policy)
          : await ResilientRoom.joinById<ArenaStateView>(endpoints, mode.code.trim(), {}, policy);
    return new ArenaConnection(room);
  }

  /** The SDK room right now; a different object after each failover. */
  get room(): Room {
    return this.resilient.room as unknown as Room;
  }

  get sessionId(): string {
    return this.resilient.sessionId;
  }

  get roomId(): string {
    return this.resilient.roomId;
  }

  /** Undefined until the first full state arrives (and briefly while a failed-over room is re-joined). */
  get state(): ArenaStateView | undefined {
    return this.resilient.state;
  }

  on<K extends keyof ArenaEvents>(event: K, handler: ArenaEvents[K]): void {
    this.listeners[event].push(handler);
  }

  sendInput(input: InputFrame): void {
    if (this.reconnecting) return; // the room is moving; the predictor keeps the inputs until an ack says otherwise
    this.resilient.sendBytes(ClientMessage.input, encodeInput(input));
  }

  sendChat(text: string): void {
    if (!this.reconnecting) this.resilient.send(ClientMessage.chat, { text });
  }

  /** A request answered by the room (`room.request`), e.g. the leaderboard. */
  request<T>(type: string, timeoutMs = 2000): Promise<T> {
    return Promise.race([
      this.resilient.request<T>(type),
      new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${type}: no answer`)), timeoutMs)),
    ]);
  }

  async leave(): Promise<void> {
    this.stopTimers();
    await this.resilient.leave().catch(() => undefined);
  }

  private emit<K extends keyof ArenaEvents>(event: K, ...args: Parameters<ArenaEvents[K]>): void {
    for (const handler of this.listeners[event]) (handler as (...a: Parameters<ArenaEvents[K]>) => void)(...args);
  }

  private wire(): void {
    const r = this.resilient;
    r.onMessage<Uint8Array>(ServerMessage.pong, (bytes) => this.onPong(bytes));
    r.onMessage<ChatLine>(ServerMessage.chat, (line) => this.emit('chat', line));
    r.onMessage<GameError>(ServerMessage.error, (error) => this.emit('error', error));
    r.onMessage<Eaten>(ServerMessage.eaten, (eaten) => this.emit('eaten', eaten));
    r.on('reconnecting', () => {
      this.reconnecting = true;
      this.emit('reconnecting');
    });
    r.on('reconnected', () => {
      this.reconnecting = false;
      this.failovers += 1;
      this.emit('reconnected');
      this.ping();
    });
    r.on('failed', (err) => this.close(`could not reach the room again: ${String(err)}`));
    r.on('left', (code) => this.close(`disconnected (${String(code)})`));
  }

  private close(reason: string): void {
    this.stopTimers();
    this.reconnecting = false;
    this.emit('closed', reason);
  }

  private stopTimers(): void {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private ping(): void {
    if (this.reconnecting) return;
    try {
      this.resilient.sendBytes(ClientMessage.ping, encodePing(Date.now()));
    } catch {
      // socket not open yet: the next interval tries again
    }
  }

  private onPong(bytes: Uint8Array): void {
    const sample = Date.now() - decodePong(bytes).sent;
    this.rtt = this.rtt === undefined ? sample : this.rtt * 0.7 + sample * 0.3;
  }
}
