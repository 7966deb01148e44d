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
import type { JoinAccounting } from './colyseus-routes.ts';
import { DEFAULT_LIMITS, type HttpSettings, type Limits } from './config.ts';
import { once } from './once.ts';
import { answerUnrouted, RouteTable, registerMetrics, registerRoutes } from './routes.ts';
import { createUwsTransport, listenApart, listeningPort, uwsBuildName } from './uws-transport.ts';

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
  /** Why the node is not serving (`/ready` answers 503 with it), or undefined while it is (200). */
  unready?: () => string | undefined;
  /** Prometheus text for `/metrics`. */
  metrics?: () => Promise<string>;
  /** More HTTP routes: the game's API and the browser client. */
  routes?: (app: TemplatedApp) => void;
  /** Listen address, and where /metrics is served and whether it needs a token. Default: as `npm start`. */
  http?: HttpSettings;
  /** Body, options and WebSocket idle limits. Default: DEFAULT_LIMITS. */
  limits?: Limits;
  /** The rooms' seats awaiting their join: they count as joins in progress. */
  joins?: JoinAccounting;
}

export interface RunningServer {
  readonly port: number;
  readonly nodeId: string;
  /** Which uWebSockets.js build serves this node. */
  readonly uwsBuild: string;
  readonly gameServer: Server;
  /** The port /metrics is served on when it has an address of its own. */
  readonly metricsPort: number | undefined;
  /** Locks and disposes rooms (gracefullyShutdown without exiting), then closes every socket. Idempotent. */
  close(): Promise<void>;
}

/**
 * Colyseus keeps its matchmaker (room registry, presence, driver) in module-level state, so run one server per
 * process; after `close()` that process's matchmaker is shut down for good.
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const startedAt = performance.now();
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const http = opts.http ?? { listen: undefined, metricsListen: undefined, metricsToken: undefined };
  const table = new RouteTable();
  const transport = await createUwsTransport({
    host: http.listen,
    wsIdleTimeoutSeconds: limits.wsIdleTimeoutSeconds,
    http: {
      maxBodyBytes: limits.maxBodyBytes,
      maxOptionsDepth: limits.maxOptionsDepth,
      maxPendingJoins: limits.maxPendingJoins,
      ...(opts.joins ? { joins: opts.joins } : {}),
      unrouted: (res, req, colyseusMethods) =>
        answerUnrouted(res, req, [...colyseusMethods, ...table.allowed(req.getUrl())]),
    },
  });
  table.track(transport.app);

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
    unready: opts.unready ?? (() => undefined),
    ...(opts.routes ? { extra: opts.routes } : {}),
  });
  const metrics = opts.metrics ?? (async () => '');
  const apart = http.metricsListen
    ? await listenApart(http.metricsListen.host, http.metricsListen.port, (app) => {
        registerMetrics(app, metrics, http.metricsToken);
        app.any('/*', (res, req) => answerUnrouted(res, req, []));
      })
    : undefined;
  if (!apart) registerMetrics(transport.app, metrics, http.metricsToken);

  const close = once(async () => {
    await gameServer.gracefullyShutdown(false);
    transport.app.close(); // also drops the keep-alive connections that closing the listen socket leaves open
    apart?.close();
  });

  await gameServer.listen(opts.port);
  const port = listeningPort(transport);
  if (port === undefined) {
    await close();
    const where = http.listen ? `${http.listen}:${opts.port}` : `port ${opts.port}`;
    throw new Error(`cannot listen on ${where}: already in use or not permitted`);
  }

  return { port, nodeId: opts.nodeId, uwsBuild: uwsBuildName(), gameServer, metricsPort: apart?.port, close };
}
