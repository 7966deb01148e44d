// Builds the @colyseus/uwebsockets-transport instance this node serves on, working around gaps in the 0.18
// transport (see each function and colyseus-routes.ts), and names the uWebSockets.js build in use.

import uWS from 'uWebSockets.js';
import type { Router } from '@colyseus/core';
import type { uWebSocketsTransport } from '@colyseus/uwebsockets-transport';
import { bindColyseusRoutes, type ColyseusRouteOptions } from './colyseus-routes.ts';

// uSockets' LIBUS_LISTEN_EXCLUSIVE_PORT; the typings only declare it as an enum that does not exist at runtime.
const EXCLUSIVE_PORT =
  (uWS as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT?: uWS.ListenOptions }).LIBUS_LISTEN_EXCLUSIVE_PORT ??
  (1 as uWS.ListenOptions);

type ListenCallback = (socket: uWS.us_listen_socket | false) => void;
/** uWS's `listen(host, port, options, cb)`, which its typings leave out. */
type ListenOnHost = (host: string, port: number, options: uWS.ListenOptions, cb: ListenCallback) => uWS.TemplatedApp;

/**
 * uWS listens with SO_REUSEPORT by default, so a second node started on a taken port "listens" too and the kernel
 * splits connections between the two processes. Make the transport's `app.listen(port, cb)` bind exclusively, and
 * to `host` when one is given (the transport itself ignores the host Colyseus passes it).
 */
function listenExclusively(app: uWS.TemplatedApp, host: string | undefined): void {
  const listen = app.listen.bind(app) as unknown as ListenOnHost & uWS.TemplatedApp['listen'];
  app.listen = ((port: number, cb: ListenCallback) =>
    host === undefined
      ? listen(port, EXCLUSIVE_PORT, cb)
      : listen(host, port, EXCLUSIVE_PORT, cb)) as uWS.TemplatedApp['listen'];
}

export type UwsTransport = uWebSocketsTransport;

export interface TransportOptions {
  /** Address to bind; undefined: every address. */
  host: string | undefined;
  /** A WebSocket silent for this long (no message, no pong to the automatic pings) is closed. */
  wsIdleTimeoutSeconds: number;
  http: ColyseusRouteOptions;
}

export async function createUwsTransport(opts: TransportOptions): Promise<UwsTransport> {
  const { uWebSocketsTransport } = await import('@colyseus/uwebsockets-transport');
  /** Serves Colyseus's HTTP routes with bounded bodies and an answer for every request (colyseus-routes.ts). */
  class BoundedTransport extends uWebSocketsTransport {
    override bindRouter(router: Router): void {
      bindColyseusRoutes(this.app, router, opts.http);
    }
  }
  const transport = new BoundedTransport({ idleTimeout: opts.wsIdleTimeoutSeconds, sendPingsAutomatically: true });
  listenExclusively(transport.app, opts.host);
  return transport;
}

/** A second, bare uWS app listening on its own address (e.g. for /metrics); resolves once it listens. */
export async function listenApart(
  host: string,
  port: number,
  routes: (app: uWS.TemplatedApp) => void,
): Promise<{ port: number; close(): void }> {
  const app = uWS.App();
  routes(app);
  const socket = await new Promise<uWS.us_listen_socket | false>((resolve) =>
    (app.listen.bind(app) as unknown as ListenOnHost)(host, port, EXCLUSIVE_PORT, resolve),
  );
  if (!socket) {
    app.close();
    throw new Error(`cannot listen on ${host}:${port}: already in use or not permitted`);
  }
  return { port: uWS.us_socket_local_port(socket as unknown as uWS.us_socket), close: () => app.close() };
}

/**
 * The port the transport actually listens on (the OS's pick when asked for port 0), or undefined when listening
 * failed: the transport ignores uWS's `false` listen result, so read its private listen socket.
 */
export function listeningPort(transport: UwsTransport): number | undefined {
  const socket = (transport as unknown as { _listeningSocket?: uWS.us_listen_socket | false })._listeningSocket;
  return socket ? uWS.us_socket_local_port(socket as unknown as uWS.us_socket) : undefined;
}

/** The packages/uwebsockets wrapper records which build it loaded in a non-enumerable `__build`. */
export function uwsBuildName(): string {
  return (uWS as { __build?: string }).__build ?? 'unknown build';
}
