// The arena's wire contract: room and message names, error codes, HTTP API shapes, and the protobuf codecs.
import protobuf from 'protobufjs';
import descriptor from '../proto/arena.json' with { type: 'json' };

export const ARENA_ROOM = 'arena';

/** Byte messages (protobuf) and JSON messages a client may send; anything else is answered with UNKNOWN_MESSAGE. */
export const ClientMessage = {
  input: 'input', // bytes: Input
  ping: 'ping', // bytes: Ping, answered with a "pong" byte message (Pong)
  chat: 'chat', // { text: string }
  profile: 'profile', // request: answered with Profile
  leaderboard: 'leaderboard', // request: answered with LeaderboardEntry[]
} as const;

/** Messages the server sends. */
export const ServerMessage = {
  pong: 'pong', // bytes: Pong
  chat: 'chat', // ChatLine
  error: 'error', // GameError
  eaten: 'eaten', // { by: string, respawnInMs: number }
} as const;

/** Codes in the "error" message. The client keeps playing after any of these. */
export const ErrorCode = {
  badFrame: 'bad_frame',
  unknownMessage: 'unknown_message',
  frameTooLarge: 'frame_too_large',
  badNumber: 'bad_number',
  rateLimited: 'rate_limited',
  notYourBlob: 'not_your_blob',
  chatTooLong: 'chat_too_long',
  chatTooFast: 'chat_too_fast',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes the arena uses when it disconnects a client. */
export const CloseCode = {
  /** Kept breaking the rules after being told (input flood, repeated bad frames). */
  abuse: 4403,
  /** Connected but did not finish the join handshake within the seat reservation time. */
  joinTimeout: 4408,
} as const;

export const LIMITS = {
  maxInputBytes: 64,
  /** Inputs per second a client may send (steady rate is one per tick). */
  inputsPerSecond: 30,
  inputBurst: 10,
  chatMaxLength: 140,
  chatPerWindow: 5,
  chatWindowMs: 5000,
  /** Inputs dropped in one second (over the rate) that make a flood: the client is disconnected. */
  floodDrops: 60,
  /** Profile and leaderboard requests per second (burst 5). */
  requestsPerSecond: 2,
  /** Refused messages tolerated per client within strikeWindowMs before it is disconnected with CloseCode.abuse. */
  strikes: 20,
  strikeWindowMs: 10_000,
  nameMin: 2,
  nameMax: 16,
} as const;

export interface GameError {
  code: ErrorCode;
  message: string;
}

export interface ChatLine {
  from: string; // session id
  name: string;
  text: string;
  at: number;
}

export interface Profile {
  id: string;
  name: string;
  color: number;
  xp: number;
  level: number;
  gamesPlayed: number;
  bestMass: number;
  totalEats: number;
  /** Node that hosts the Player object (shows the distribution at work). */
  node: string;
}

export interface LeaderboardEntry {
  id: string;
  name: string;
  bestMass: number;
}

/**
 * POST /api/guest body. A returning guest (same player, maybe a new name) sends the `refresh` secret it was given,
 * or a `token` that has not expired yet; an expired token or refresh secret is refused with 401.
 */
export interface GuestLoginRequest {
  name: string;
  token?: string;
  refresh?: string;
}

export interface GuestLoginResponse {
  /** For rooms and GET /api/profile; expires at `expiresAt`. */
  token: string;
  /** Kept by the page and sent only to POST /api/guest, to renew the token (lives 30 days, renewed each use). */
  refresh: string;
  playerId: string;
  name: string;
  expiresAt: number;
}

/** One row of GET /api/rooms (the lobby's live room list, across the cluster). */
export interface RoomSummary {
  roomId: string;
  clients: number;
  maxClients: number;
  node: string;
  private: boolean;
}

/** One row of GET /api/nodes: the cluster's serving nodes, so a page can re-join through another after a failover. */
export interface NodeSummary {
  id: string;
  /** host:port as configured with --public-address (no scheme: the page uses its own). */
  address: string;
}

/** Options for joinOrCreate/create on the arena room. */
export interface ArenaJoinOptions {
  private?: boolean;
}

const root = protobuf.Root.fromJSON(descriptor);
const InputType = root.lookupType('resident.arena.Input');
const PingType = root.lookupType('resident.arena.Ping');
const PongType = root.lookupType('resident.arena.Pong');

export interface InputFrame {
  seq: number;
  dx: number;
  dy: number;
  blob?: string;
}

export function encodeInput(input: InputFrame): Uint8Array {
  return InputType.encode(input).finish();
}

/** Throws on bytes that are not an Input (protobufjs's own error). */
export function decodeInput(bytes: Uint8Array): InputFrame {
  return InputType.toObject(InputType.decode(bytes), { defaults: true }) as InputFrame;
}

export function encodePing(sent: number): Uint8Array {
  return PingType.encode({ sent }).finish();
}

export function decodePing(bytes: Uint8Array): number {
  return (PingType.toObject(PingType.decode(bytes), { defaults: true }) as { sent: number }).sent;
}

export function encodePong(sent: number, server: number): Uint8Array {
  return PongType.encode({ sent, server }).finish();
}

export function decodePong(bytes: Uint8Array): { sent: number; server: number } {
  return PongType.toObject(PongType.decode(bytes), { defaults: true }) as { sent: number; server: number };
}
