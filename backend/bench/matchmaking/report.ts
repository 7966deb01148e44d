// What the matchmaking benchmark prints and writes: the figures, and per backend the evidence behind them.

import { MACHINE } from '@resident/infra/process';
import { type Figure, round, withBaseline } from '@resident/shared/bench';
import type { RoomCheck } from './checks.ts';
import type { Backend } from './cluster.ts';
import { BENCH_ROOM_SIZE } from './room.ts';
import type { Tally } from './tally.ts';

export interface Measured {
  readonly backend: Backend;
  /** Clients asked to join. */
  readonly clients: number;
  readonly joinsPerS: number;
  readonly p50: number;
  readonly p99: number;
  /** How the join latencies spread, as text. */
  readonly spread: string;
  readonly joined: number;
  /** Wall time of the join phase, s. */
  readonly seconds: number;
  /** CPU seconds each process used during the join phase. */
  readonly cpu: ReadonlyMap<string, number>;
  /** What the nodes' matchmakers did during the join phase, summed. */
  readonly tally: Tally;
  readonly errorCount: number;
  readonly errors: ReadonlyMap<string, number>;
  readonly check: RoomCheck;
  /** Listings still there 5 s after every client left. */
  readonly staleListings: number;
  readonly leaveFailures: number;
  readonly nodeLogLines: number;
  readonly nodeLogs: ReadonlyMap<string, { count: number; sample: string }>;
}

const BUCKETS_MS = [50, 100, 250, 500, 1000, 2000, Number.POSITIVE_INFINITY];

export function spreadOf(latencies: readonly number[]): string {
  const counts = BUCKETS_MS.map(() => 0);
  for (const ms of latencies) counts[BUCKETS_MS.findIndex((limit) => ms < limit)]! += 1;
  const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  const label = (i: number) => (i === BUCKETS_MS.length - 1 ? `>=${BUCKETS_MS[i - 1]}` : `<${BUCKETS_MS[i]}`);
  return `mean ${round(mean)} ms; ${counts.map((n, i) => `${label(i)} ms: ${n}`).join(', ')}`;
}

export function figures(nats: Measured, redis: Measured): Figure[] {
  const note = (m: Measured) =>
    `${m.joined}/${m.clients} joined, ${m.errorCount} errors; ${m.check.rooms} rooms (${m.check.shape}); ` +
    `${m.check.overfilled.size} overfilled; ${m.check.listingIssues.length} listing issues`;
  return [
    withBaseline({
      name: 'nats_joins_per_s',
      value: round(nats.joinsPerS),
      unit: 'joins/s',
      baseline: { name: 'redis_joins_per_s', value: round(redis.joinsPerS) },
      target: '>= 2x baseline',
      note: `NATS: ${note(nats)}. Redis: ${note(redis)}`,
    }),
    withBaseline({
      name: 'nats_join_p99_ms',
      value: round(nats.p99, 1),
      unit: 'ms',
      baseline: { name: 'redis_join_p99_ms', value: round(redis.p99, 1) },
      target: '<= redis_join_p99_ms',
    }),
    { name: 'redis_join_p99_ms', value: round(redis.p99, 1), unit: 'ms' },
    { name: 'nats_join_p50_ms', value: round(nats.p50, 1), unit: 'ms' },
    { name: 'redis_join_p50_ms', value: round(redis.p50, 1), unit: 'ms' },
    { name: 'nats_rooms', value: nats.check.rooms, unit: 'rooms', target: `${nats.clients / BENCH_ROOM_SIZE}` },
    { name: 'redis_rooms', value: redis.check.rooms, unit: 'rooms', target: `${nats.clients / BENCH_ROOM_SIZE}` },
    { name: 'nats_join_errors', value: nats.errorCount, unit: 'joins', target: '0' },
    { name: 'redis_join_errors', value: redis.errorCount, unit: 'joins', target: '0' },
  ];
}

export function printDetails(m: Measured): void {
  const lines = [
    `${m.backend}: ${round(m.joinsPerS)} joins/s, p50 ${round(m.p50, 1)} ms, p99 ${round(m.p99, 1)} ms`,
    `  join latency ${m.spread}`,
    `  joined ${m.joined}/${m.clients}, errors ${m.errorCount}; rooms ${m.check.rooms} (${m.check.shape})`,
    `  overfilled rooms: ${m.check.overfilled.size === 0 ? 'none' : [...m.check.overfilled].map(([id, n]) => `${id}=${n}`).join(', ')}`,
    `  listing issues: ${m.check.listingIssues.length}; listings left 5 s after all left: ${m.staleListings}; failed leaves: ${m.leaveFailures}`,
    ...m.check.listingIssues.slice(0, 5).map((issue) => `    ${issue}`),
    ...[...m.errors].slice(0, 5).map(([message, n]) => `  error ×${n}: ${message}`),
    `  CPU during the join phase (s of ${round(m.seconds, 1)} s wall; 2 cores = ${round(2 * m.seconds, 1)} s): ${cpuLine(m.cpu)}`,
    `  matchmaker, all nodes, join phase: ${tallyLine(m.tally)}`,
    `  node warnings/errors logged: ${m.nodeLogLines}`,
    ...[...m.nodeLogs].slice(0, 6).map(([message, { count, sample }]) => `    ×${count} ${message}\n      ${sample}`),
  ];
  console.log(lines.join('\n'));
}

/** Our processes one by one, their total, and what the rest of the machine (other users' work) took meanwhile. */
function cpuLine(cpu: ReadonlyMap<string, number>): string {
  const ours = [...cpu].filter(([name]) => name !== MACHINE);
  const total = ours.reduce((a, [, s]) => a + s, 0);
  const machine = cpu.get(MACHINE);
  const others =
    machine === undefined ? '' : `; other processes on the machine ${round(Math.max(0, machine - total), 1)}`;
  return `${ours.map(([name, s]) => `${name} ${round(s, 1)}`).join(', ')}; ours ${round(total, 1)}${others}`;
}

/** Events by count, most first. */
function tallyLine(tally: Tally): string {
  const events = Object.entries(tally)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `\n    ${n} ${kind}`);
  return events.join('') || 'nothing counted';
}

/** The evidence behind the figures, for the JSON. */
export function detailsOf(m: Measured): Record<string, unknown> {
  return {
    joinSeconds: round(m.seconds, 2),
    latency: m.spread,
    joined: m.joined,
    errors: Object.fromEntries(m.errors),
    rooms: m.check.rooms,
    roomShape: m.check.shape,
    overfilledRooms: Object.fromEntries(m.check.overfilled),
    listingIssues: m.check.listingIssues,
    listingsLeftAfterLeave: m.staleListings,
    cpuSeconds: Object.fromEntries([...m.cpu].map(([name, s]) => [name, round(s, 2)])),
    matchmaker: Object.fromEntries(Object.entries(m.tally).map(([kind, n]) => [kind, round(n, 1)])),
    nodeLogLines: m.nodeLogLines,
  };
}
