// Creates and starts one Colyseus 0.18 server over uWebSockets.js on a given port with given room definitions.

import { defineServer, type RegisteredHandler, type Server } from '@colyseus/core';
import type { Logger } from 'pino';
import { registerRoutes } from './routes.ts';
import { createUwsTransport, listeningPort, uwsBuildName } from './uws-transport.ts';

export interface StartOptions {
  /** 0 lets the OS pick a free port; read the real one from `RunningServer.port`. */
  port: number;
  nodeId: string;
  logger: Logger;
  rooms?: Record<string, RegisteredHandler>;
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
    logger: opts.logger.child({ component: 'colyseus' }),
    greet: false, // no banner: the entry point logs its own start line
    gracefullyShutdown: false, // no process signal handlers here: that is the entry point's job
  });

  registerRoutes(transport.app, {
    nodeId: opts.nodeId,
    uptimeSeconds: () => Math.floor((performance.now() - startedAt) / 1000),
    isColyseusRoute: (method, url) => gameServer.router?.findRoute(method, url) !== undefined,
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

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}
