// npm run bench:room -- [--json FILE] [--bots 50] [--hz 20] [--seconds 15] [--warmup 3]
// One ArenaRoom on an in-process embedded node; bots in a child process (so their CPU is not the room's) send
// protobuf inputs at --hz. Two phases in the same run: the area-of-interest view, then every client seeing the
// whole arena (the baseline). Reports simulation tick time and bytes received per client per second.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defineRoom, matchMaker } from '@colyseus/core';
import {
  type BenchResult,
  type Figure,
  machineInfo,
  percentile,
  report,
  round,
  withBaseline,
} from '@resident/shared/bench';
import { TICK_HZ } from '@resident/shared/game';
import { freePort } from '@resident/testing';
import { pino } from 'pino';
import { ArenaRoom, DEFAULT_ARENA, gameRooms } from '../../src/game/index.ts';
import { readConfig } from '../../src/node/config.ts';
import { startNode } from '../../src/node/node.ts';

const { values: flags } = parseArgs({
  options: {
    json: { type: 'string' },
    bots: { type: 'string', default: '50' },
    hz: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
  },
  strict: true,
});
const BOTS = positive('bots');
const HZ = positive('hz');
const MEASURE_MS = positive('seconds') * 1000;
const WARM_MS = positive('warmup') * 1000;
const BUDGET_MS = 1000 / TICK_HZ;

function positive(name: 'bots' | 'hz' | 'seconds' | 'warmup'): number {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`bench:room: --${name} must be a positive integer, got ${JSON.stringify(flags[name])}`);
    process.exit(2);
  }
  return n;
}

interface Phase {
  tickMs: number[];
  patchMs: number[];
  bytesPerClientS: number[];
}

async function runPhase(url: string, roomName: string, bots = BOTS): Promise<Phase> {
  const script = fileURLToPath(new URL('./bots.ts', import.meta.url));
  const args = [
    '--import',
    'tsx',
    script,
    url,
    roomName,
    String(bots),
    String(HZ),
    String(WARM_MS),
    String(MEASURE_MS),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let room: ArenaRoom | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    const msg = JSON.parse(line) as {
      joined?: number;
      roomId?: string;
      measuring?: boolean;
      bytesPerClientS?: number[];
    };
    if (msg.roomId) {
      room = matchMaker.getLocalRoomById(msg.roomId) as ArenaRoom;
      console.error(`… ${roomName}: ${msg.joined} bots joined, warming up ${WARM_MS / 1000} s`);
    }
    if (msg.measuring) {
      room?.ticks.reset();
      room?.patches.reset();
      console.error(`… ${roomName}: measuring ${MEASURE_MS / 1000} s`);
    }
    if (msg.bytesPerClientS)
      return {
        tickMs: room?.ticks.recent() ?? [],
        patchMs: room?.patches.recent() ?? [],
        bytesPerClientS: msg.bytesPerClientS,
      };
  }
  throw new Error(`bots for ${roomName} exited without a result`);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const dataDir = mkdtempSync(join(tmpdir(), 'bench-room-'));
const port = await freePort();
const config = readConfig(['--port', String(port), '--store', 'memory', '--data-dir', dataDir], {}, 'bench');
const node = await startNode({
  config,
  logger: pino({ level: 'warn' }),
  rooms: {
    ...gameRooms(),
    arena_full: defineRoom(ArenaRoom, { ...DEFAULT_ARENA, aoi: false }),
  },
});
try {
  const url = `http://127.0.0.1:${port}`;
  const aoi = await runPhase(url, 'arena');
  const full = await runPhase(url, 'arena_full');
  // How bytes per client grow as the room fills: with the view they should level off, without it they keep growing.
  const sizes = [Math.max(1, Math.round(BOTS / 5)), Math.max(1, Math.round(BOTS / 2))];
  const growth: Figure[] = [];
  for (const n of sizes) {
    for (const [room, label] of [
      ['arena', 'aoi'],
      ['arena_full', 'full'],
    ] as const) {
      const phase = await runPhase(url, room, n);
      growth.push({
        name: `bytes_per_client_s_${label}_${n}_bots`,
        value: Math.round(mean(phase.bytesPerClientS)),
        unit: 'B/s',
      });
    }
  }
  const result: BenchResult = {
    bench: 'room',
    when: new Date().toISOString(),
    machine: machineInfo({ uws: node.server.uwsBuild }),
    command: `npm run bench:room -- ${process.argv.slice(2).join(' ')}`.trim(),
    setup: {
      bots: BOTS,
      inputsPerSecond: HZ,
      tickHz: TICK_HZ,
      pellets: DEFAULT_ARENA.pellets,
      seconds: MEASURE_MS / 1000,
    },
    figures: [
      { name: 'tick_p50_ms', value: round(percentile(aoi.tickMs, 50), 3), unit: 'ms' },
      { name: 'tick_p99_ms', value: round(percentile(aoi.tickMs, 99), 3), unit: 'ms' },
      {
        name: 'tick_budget_share_p99',
        value: round(percentile(aoi.tickMs, 99) / BUDGET_MS, 3),
        unit: `share of the ${BUDGET_MS} ms tick`,
        target: '<= 0.25',
      },
      withBaseline({
        name: 'bytes_per_client_s_aoi',
        value: Math.round(mean(aoi.bytesPerClientS)),
        unit: 'B/s',
        baseline: { name: 'bytes_per_client_s_full', value: Math.round(mean(full.bytesPerClientS)) },
        target: '<= 0.5x baseline',
      }),
      {
        name: 'patch_p99_ms',
        value: round(percentile(aoi.patchMs, 99), 3),
        unit: 'ms',
        note: 'Colyseus encoding the per-client views and sending them, once per tick, outside the simulation step',
      },
      { name: 'patch_p50_ms', value: round(percentile(aoi.patchMs, 50), 3), unit: 'ms' },
      { name: 'tick_p99_ms_full_view', value: round(percentile(full.tickMs, 99), 3), unit: 'ms' },
      { name: 'patch_p99_ms_full_view', value: round(percentile(full.patchMs, 99), 3), unit: 'ms' },
      { name: 'ticks_measured', value: aoi.tickMs.length, unit: 'ticks' },
      ...growth,
    ],
  };
  report(result, flags.json);
} finally {
  await node.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
