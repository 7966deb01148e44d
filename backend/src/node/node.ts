// One backend node: the object runtime, Colyseus over uWebSockets.js with presence and driver, HTTP probes.
// Embedded (no NATS): LMDB state, Colyseus's in-process presence and driver. Cluster: everything on NATS.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LocalDriver,
  LocalPresence,
  type MatchMakerDriver,
  matchMaker,
  type Presence,
  type RegisteredHandler,
} from '@colyseus/core';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NodeSummary } from '@resident/shared/game';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { NatsDriver } from '../colyseus/driver/index.ts';
import { NatsPresence, PRESENCE_CLASSES } from '../colyseus/presence/index.ts';
import { bindRooms } from '../colyseus/rooms/node-room.ts';
import { RoomCheckpoint, type RoomSnapshot } from '../colyseus/rooms/room-checkpoint.ts';
import { RoomKeeper } from '../colyseus/rooms/room-keeper.ts';
import {
  GAME_CLASSES,
  type GameContext,
  type GameServices,
  GuestTokens,
  gameRooms,
  objectServices,
  SeatLedger,
  StatelessServices,
  seatAnswered,
} from '../game/index.ts';
import {
  deriveMembershipKey,
  type ObjectRuntime,
  type ResidentClass,
  type StateStore,
  systemClock,
} from '../objects/index.ts';
import {
  detectServerFeatures,
  isActiveHost,
  LmdbStateStore,
  MemoryStateStore,
  RuntimeImpl,
} from '../objects/internal.ts';
import { registerApi } from './api.ts';
import type { NodeConfig } from './config.ts';
import { connectNode } from './nats-connection.ts';
import { registerNodeMetrics } from './node-metrics.ts';
import { once } from './once.ts';
import { registerOpenFds } from './open-fds.ts';
import { type RunningServer, startServer } from './server.ts';
import { registerStatic } from './static-files.ts';
import { publishStats } from './stats-publisher.ts';

export interface NodeOptions {
  readonly config: NodeConfig;
  readonly logger: Logger;
  /** Default: the game's rooms (arena, lounge). */
  readonly rooms?: Record<string, RegisteredHandler>;
  /** Default: the game's object classes. The node adds its own (presence shards, room checkpoints). */
  readonly classes?: readonly ResidentClass[];
  /** How often rooms are checkpointed for failover (cluster mode). Default 1000 ms. */
  readonly checkpointMs?: number;
}

export interface RunningNode {
  readonly config: NodeConfig;
  readonly runtime: ObjectRuntime;
  readonly server: RunningServer;
  /** What the node gives its rooms (`this.resident`): for in-process tests of the game. */
  readonly context: GameContext;
  /** Graceful: closes rooms, hands objects to the other nodes, then disconnects. Idempotent. */
  stop(): Promise<void>;
}

export async function startNode(opts: NodeOptions): Promise<RunningNode> {
  const { config, logger } = opts;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  registerOpenFds(metrics);
  const nc = config.natsUrls.length > 0 ? await connectNode(config) : undefined;
  registerNodeMetrics(metrics);
  if (nc) logger.info({ nats: await detectServerFeatures(nc) }, 'nats-server features');
  const store = await openStore(config);
  const runtime = await RuntimeImpl.start({
    classes: [...(opts.classes ?? GAME_CLASSES), ...PRESENCE_CLASSES, RoomCheckpoint],
    nodeId: config.nodeId,
    address: config.publicAddress,
    log: logger.child({ component: 'objects' }),
    metricsRegistry: metrics,
    ...(config.heartbeatMs ? { heartbeatMs: config.heartbeatMs } : {}),
    ...(store ? { store } : {}),
    ...(nc ? { nats: clusterOptions(config, nc) } : {}),
  });
  // Colyseus calls presence at once; let shard ownership settle first, so its first calls do not wait on moves.
  await settled(runtime, 15_000);
  const { presence, driver } = await matchmaking(config, runtime, nc, logger);
  const tokens = new GuestTokens(await authSecret(config, logger));
  const { limits } = config;
  const services = gameServices(config, runtime, tokens, logger);
  const context: GameContext = {
    objects: runtime,
    nodeId: config.nodeId,
    clock: systemClock,
    log: logger.child({ component: 'rooms' }),
    tokens,
    seats: new SeatLedger(limits),
    rooms: { messagesPerSecond: limits.messagesPerSecond, seatReservationSeconds: limits.seatReservationSeconds },
    services,
  };
  // Rooms being restored here, by roomId: the keeper puts a checkpoint in, the room's onCreate reads it.
  const restores = new Map<string, RoomSnapshot>();
  let stopping = false;
  const server = await startServer({
    port: config.port,
    nodeId: config.nodeId,
    logger,
    rooms: bindRooms(opts.rooms ?? gameRooms(config.arenaSize === undefined ? {} : { maxClients: config.arenaSize }), {
      context,
      restores,
    }),
    presence,
    driver,
    publicAddress: config.publicAddress,
    http: config.http,
    limits,
    joins: {
      awaiting: () => context.seats.awaitingJoin(),
      answered: (auth, seat) => seatAnswered(context.seats, auth, seat?.processId === matchMaker.processId),
    },
    unready: () => (stopping ? 'stopping' : runtime.placement.pending()),
    metrics: () => metrics.metrics(),
    routes: (app) => {
      registerApi(app, {
        services,
        tokens,
        log: logger.child({ component: 'api' }),
        nodes: () => servingNodes(runtime, config),
        loginRate: config.loginRate,
        maxBodyBytes: limits.maxBodyBytes,
      });
      const files = registerStatic(app, config.clientDir);
      if (files === 0) logger.warn({ dir: config.clientDir }, 'browser client not built: / shows how to build it');
    },
  });
  const keeper = nc
    ? new RoomKeeper({
        runtime,
        driver,
        nc,
        cluster: config.cluster,
        publicAddress: config.publicAddress,
        intervalMs: opts.checkpointMs ?? 1000,
        restores,
        log: logger.child({ component: 'rooms' }),
      })
    : undefined;
  keeper?.start();
  const stopStats = nc ? publishStats(nc, config.cluster, runtime) : undefined;
  const stop = once(async () => {
    stopping = true;
    stopStats?.();
    await keeper?.drain();
    keeper?.stop();
    await server.close();
    await runtime.stop({ drain: true });
    await store?.close();
    await nc?.drain();
  });
  return { config, runtime, server, context, stop };
}

/** Resident's objects, or in stateless mode the stateless twin's REST API (see --stateless-api). */
function gameServices(config: NodeConfig, runtime: RuntimeImpl, tokens: GuestTokens, logger: Logger): GameServices {
  if (config.statelessApi.length === 0) return objectServices(runtime);
  logger.info({ statelessApi: config.statelessApi }, "stateless mode: profiles and the leaderboard are the twin's");
  return new StatelessServices(config.statelessApi, tokens);
}

async function settled(runtime: RuntimeImpl, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!runtime.placement.settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Undefined means the runtime's default: JetStream KV in a cluster. */
async function openStore(config: NodeConfig): Promise<StateStore | undefined> {
  if (config.store === 'lmdb') return LmdbStateStore.open(config.dataDir);
  if (config.store === 'memory') return new MemoryStateStore();
  return undefined;
}

async function matchmaking(
  config: NodeConfig,
  runtime: RuntimeImpl,
  nc: NatsConnection | undefined,
  logger: Logger,
): Promise<{ presence: Presence; driver: MatchMakerDriver }> {
  if (!nc) return { presence: new LocalPresence(), driver: new LocalDriver() };
  const presence = new NatsPresence({ runtime, log: logger.child({ component: 'presence' }) });
  const driver = await NatsDriver.open(nc, {
    cluster: config.cluster,
    replicas: config.replicas,
    countDrop: (kind) => runtime.metrics.garbage(kind),
    localProcessId: () => matchMaker.processId,
  });
  return { presence, driver };
}

/** Peers sign their membership entries with a key derived from the secret every node of the cluster shares. */
function clusterOptions(config: NodeConfig, connection: NatsConnection) {
  if (!config.authSecret) throw new Error('a cluster node needs --auth-secret (RESIDENT_AUTH_SECRET)');
  const membershipKey = deriveMembershipKey(config.authSecret, config.cluster);
  const heartbeats = { servers: config.natsUrls, auth: config.natsAuth?.settings };
  return { connection, cluster: config.cluster, replicas: config.replicas, membershipKey, heartbeats };
}

/** The configured secret; an embedded node without one keeps a generated secret in its data folder (dev only). */
async function authSecret(config: NodeConfig, logger: Logger): Promise<string> {
  if (config.authSecret) return config.authSecret;
  const file = join(config.dataDir, 'dev-auth-secret');
  let secret = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (secret.length < 32) {
    secret = randomBytes(32).toString('base64url');
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, secret, { mode: 0o600 });
  }
  logger.warn(
    { file },
    'no --auth-secret / RESIDENT_AUTH_SECRET: using a generated dev secret (set one in production)',
  );
  return secret;
}

/** Active hosts with a public address: where a browser may re-join after its node goes away. */
function servingNodes(runtime: ObjectRuntime, config: NodeConfig): NodeSummary[] {
  if (config.natsUrls.length === 0) return [{ id: config.nodeId, address: config.publicAddress }];
  return [...runtime.membership.alive().values()]
    .filter((m) => isActiveHost(m) && m.address)
    .map((m) => ({ id: m.id, address: m.address! }))
    .sort((a, b) => a.id.localeCompare(b.id));
}
