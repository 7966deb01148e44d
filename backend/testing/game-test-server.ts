// One game node in this process, as Colyseus's ColyseusTestServer gives a room in-process: the game's rooms (or the
// given ones) on a free port, embedded (memory store, no NATS) or on a test nats-server; SDK clients that log in as
// guests; and the node's context, so a test reads the objects the rooms wrote. Colyseus's matchmaker is
// process-wide: start one per test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisteredHandler } from '@colyseus/core';
import type { Client } from '@colyseus/sdk';
import { type NatsCluster, startNats } from '@resident/testing';
import { type Logger, pino } from 'pino';
import type { GameContext } from '../src/game/index.ts';
import { readConfig } from '../src/node/config.ts';
import { type RunningNode, startNode } from '../src/node/node.ts';
import { TEST_SECRET } from './colyseus-cluster.ts';
import { guestLogin, sdkClient } from './game-client.ts';
import { freePort } from './support.ts';

export interface GameTestServerOptions {
  /** Default: the game's rooms. */
  rooms?: Record<string, RegisteredHandler>;
  /** true: the node runs on a nats-server of its own (JetStream KV state, NATS presence and driver). */
  nats?: boolean;
  /** Default: pino at TEST_LOG_LEVEL (warn). */
  logger?: Logger;
  /** Settings on top of the defaults below, as environment variables (e.g. RESIDENT_LOGIN_RATE). */
  env?: Record<string, string>;
}

export interface GameTestServer {
  readonly url: string;
  readonly node: RunningNode;
  /** The node's context, as its rooms get it: objects, node id, clock, logger, tokens, seats. */
  readonly context: GameContext;
  /** Logs a guest in and returns an SDK client that sends its token; `sub` is the guest's player id. */
  client(name: string): Promise<{ sdk: Client; sub: string }>;
  stop(): Promise<void>;
}

export async function startGameTestServer(opts: GameTestServerOptions = {}): Promise<GameTestServer> {
  const nats: NatsCluster | undefined = opts.nats ? await startNats() : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'resident-test-server-'));
  const port = await freePort();
  const args = ['--port', String(port), '--public-address', `127.0.0.1:${port}`, '--data-dir', dataDir];
  args.push(...(nats ? ['--nats', nats.urls.join(','), '--cluster', 'test'] : ['--store', 'memory']));
  const env = { RESIDENT_AUTH_SECRET: TEST_SECRET, RESIDENT_LOGIN_RATE: '1000', ...opts.env };
  const config = readConfig(args, env, 'test');
  const node = await startNode({
    config,
    logger: opts.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' }),
    ...(opts.rooms ? { rooms: opts.rooms } : {}),
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    node,
    context: node.context,
    async client(name) {
      const { token, playerId } = await guestLogin(url, name);
      return { sdk: sdkClient(url, token), sub: playerId };
    },
    async stop() {
      await node.stop();
      await nats?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
