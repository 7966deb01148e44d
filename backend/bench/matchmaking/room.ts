// The room the matchmaking benchmark joins: a plain Colyseus room of 50 seats, no state, no messages.
import { Room } from '@colyseus/core';

export const BENCH_ROOM = 'bench';
export const BENCH_ROOM_SIZE = 50;

export class BenchRoom extends Room {
  override maxClients = BENCH_ROOM_SIZE;
}
