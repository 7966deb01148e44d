// One backend node: the object runtime, Colyseus over uWebSockets.js with presence and driver, HTTP probes.
// Embedded (no NATS): LMDB state, Colyseus's in-process presence and driver. Cluster: everything on NATS.

import {
  LocalDriver,
  LocalPresence,
  type MatchMakerDriver,
  type Presence,
  type RegisteredHandler,
} from '@colyseus/core';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { NatsDriver } from '../colyseus/driver/index.ts';
import { NatsPresence, PresenceShard } from '../colyseus/presence/index.ts';
import { RoomCheckpoint } from '../colyseus/rooms/room-checkpoint.ts';
import { RoomKeeper } from '../colyseus/rooms/room-keeper.ts';
import { ObjectRuntime, type ResidentClass, type StateStore } from '../objects/index.ts';
import { LmdbStateStore } from '../objects/storage/lmdb-store.ts';
import { MemoryStateStore } from '../objects/storage/memory-store.ts';
import { connectNats } from '../objects/transport/connect.ts';
import type { NodeConfig } from './config.ts';
import { once } from './once.ts';
import { type RunningServer, startServer } from './server.ts';

export interface NodeOptions {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly rooms?: Record<string, RegisteredHandler>;
  /** The game's object classes; the node adds its own (presence shards, room checkpoints). */
  readonly classes?: readonly ResidentClass[];
  /** How often rooms are checkpointed for failover (cluster mode). Default 1000 ms. */
  readonly checkpointMs?: number;
}

export interface RunningNode {
  readonly config: NodeConfig;
  readonly runtime: ObjectRuntime;
  readonly server: RunningServer;
  /** Graceful: closes rooms, hands objects to the other nodes, then disconnects. Idempotent. */
  stop(): Promise<void>;
}

export async function startNode(opts: NodeOptions): Promise<RunningNode> {
  const { config, logger } = opts;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const nc = config.natsUrls.length > 0 ? await connectNats(config.natsUrls, config.nodeId) : undefined;
  const store = await openStore(config);
  const runtime = await ObjectRuntime.start({
    classes: [...(opts.classes ?? []), PresenceShard, RoomCheckpoint],
    nodeId: config.nodeId,
    address: config.publicAddress,
    log: logger.child({ component: 'objects' }),
    metricsRegistry: metrics,
    ...(store ? { store } : {}),
    ...(nc ? { nats: { connection: nc, cluster: config.cluster, replicas: config.replicas } } : {}),
  });
  // Colyseus calls presence at once; let shard ownership settle first, so its first calls do not wait on moves.
  await settled(runtime, 15_000);
  const { presence, driver } = await matchmaking(config, runtime, nc, logger);
  let stopping = false;
  const server = await startServer({
    port: config.port,
    nodeId: config.nodeId,
    logger,
    rooms: opts.rooms ?? {},
    presence,
    driver,
    publicAddress: config.publicAddress,
    ready: () => !stopping && runtime.placement.settled(),
    metrics: () => metrics.metrics(),
  });
  const keeper = nc
    ? new RoomKeeper({
        runtime,
        driver,
        nc,
        cluster: config.cluster,
        publicAddress: config.publicAddress,
        intervalMs: opts.checkpointMs ?? 1000,
        log: logger.child({ component: 'rooms' }),
      })
    : undefined;
  keeper?.start();
  const stop = once(async () => {
    stopping = true;
    await keeper?.drain();
    keeper?.stop();
    await server.close();
    await runtime.stop({ drain: true });
    await store?.close();
    await nc?.drain();
  });
  return { config, runtime, server, stop };
}

async function settled(runtime: ObjectRuntime, timeoutMs: number): Promise<void> {
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
  runtime: ObjectRuntime,
  nc: NatsConnection | undefined,
  logger: Logger,
): Promise<{ presence: Presence; driver: MatchMakerDriver }> {
  if (!nc) return { presence: new LocalPresence(), driver: new LocalDriver() };
  const presence = new NatsPresence({ runtime, log: logger.child({ component: 'presence' }) });
  const driver = await NatsDriver.open(nc, { cluster: config.cluster, replicas: config.replicas });
  return { presence, driver };
}
