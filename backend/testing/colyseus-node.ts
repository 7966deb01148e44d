// A full backend node as its own process (flags/env as `npm start`), with the test rooms registered, or the game's
// own rooms when RESIDENT_TEST_ROOMS=game.
import { hostname } from 'node:os';
import { defineRoom } from '@colyseus/core';
import { pino } from 'pino';
import { ScoreRoom } from '../src/examples/score-room.ts';
import { readConfig } from '../src/node/config.ts';
import { installCrashGuards } from '../src/node/crash-guards.ts';
import { startNode } from '../src/node/node.ts';
import { PlainRoom, TallyRoom } from './rooms.ts';

const config = readConfig(process.argv.slice(2), process.env, hostname());
process.env.RESIDENT_NODE_ID = config.nodeId;
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn', base: { node: config.nodeId } });
installCrashGuards(logger);
const node = await startNode({
  config,
  logger,
  ...(process.env.RESIDENT_TEST_ROOMS === 'game'
    ? {}
    : { rooms: { tally: defineRoom(TallyRoom), plain: defineRoom(PlainRoom), score: defineRoom(ScoreRoom) } }),
  checkpointMs: Number(process.env.RESIDENT_CHECKPOINT_MS ?? 200),
});
process.stdout.write(`READY ${node.server.port}\n`);
process.on('SIGTERM', () => {
  void node.stop().then(() => process.exit(0));
});
