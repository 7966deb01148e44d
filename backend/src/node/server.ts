// Creates and starts one Colyseus 0.18 server over uWebSockets.js on a given port with given room definitions.

import './websocket-global.ts';
import type { TemplatedApp } from 'uWebSockets.js';
import {
  defineServer,
  type MatchMakerDriver,
  type Presence,
  type RegisteredHandler,
  type Server,
} from '@colyseus/core';
import type { Logger } from 'pino';
import { once } from './once.ts';
import { registerRoutes } from './routes.ts';
import { createUwsTransport, listeningPort, uwsBuildName } from './uws-transport.ts';

export interface StartOptions {
  /** 0 lets the OS pick a free port; read the real one from `RunningServer.port`. */
  port: number;
  nodeId: string;
  logger: Logger;
  rooms?: Record<string, RegisteredHandler>;
  /** Colyseus presence and matchmaking driver; Colyseus's in-process defaults when absent. */
  presence?: Presence;
  driver?: MatchMakerDriver;
  /** Handed to clients with seat reservations so they connect to the node hosting their room. */
  publicAddress?: string;
  /** `/ready` answers 200 only while this returns true. */
  ready?: () => boolean;
  /** Prometheus text for `/metrics`. */
  metrics?: () => Promise<string>;
  /** More HTTP routes: the game's API and the browser client. */
  routes?: (app: TemplatedApp) => void;
}

export interface RunningServer {
  readonly port: number;
  readonly nodeId: string;
  /** Which uWebSockets.js build serves this node. */
  readonly uwsBuild: string;
  readonly gameServer: Server;
  /** Locks and disposes rooms (gracefullyShutdown without exiting), then closes every socket. Idempotent. */
  close(): Promise<void>;
}

/**
 * Colyseus keeps its matchmaker (room registry, presence, driver) in module-level state, so run one server per
 * process; after `close()` that process's matchmaker is shut down for good.
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const startedAt = performance.now();
  const transport = await createUwsTransport();

  const gameServer = defineServer({
    transport,
    rooms: opts.rooms ?? {},
    ...(opts.presence ? { presence: opts.presence } : {}),
    ...(opts.driver ? { driver: opts.driver } : {}),
    ...(opts.publicAddress ? { publicAddress: opts.publicAddress } : {}),
    logger: opts.logger.child({ component: 'colyseus' }),
    greet: false, // no banner: the entry point logs its own start line
    gracefullyShutdown: false, // no process signal handlers here: that is the entry point's job
  });

  registerRoutes(transport.app, {
    nodeId: opts.nodeId,
    uwsBuild: uwsBuildName(),
    uptimeSeconds: () => Math.floor((performance.now() - startedAt) / 1000),
    isColyseusRoute: (method, url) => gameServer.router?.findRoute(method, url) !== undefined,
    ready: opts.ready ?? (() => true),
    metrics: opts.metrics ?? (async () => ''),
    ...(opts.routes ? { extra: opts.routes } : {}),
  });

  const close = once(async () => {
    await gameServer.gracefullyShutdown(false);
    transport.app.close(); // also drops the keep-alive connections that closing the listen socket leaves open
  });

  await gameServer.listen(opts.port);
  const port = listeningPort(transport);
  if (port === undefined) {
    await close();
    throw new Error(`cannot listen on port ${opts.port}: already in use or not permitted`);
  }

  return { port, nodeId: opts.nodeId, uwsBuild: uwsBuildName(), gameServer, close };
}
