// Builds the @colyseus/uwebsockets-transport instance this node serves on, working around two gaps in the
// 0.18 transport (see each function), and names the uWebSockets.js build in use.

import uWS from 'uWebSockets.js';
import type { uWebSocketsTransport } from '@colyseus/uwebsockets-transport';

// uSockets' LIBUS_LISTEN_EXCLUSIVE_PORT; the typings only declare it as an enum that does not exist at runtime.
const EXCLUSIVE_PORT =
  (uWS as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT?: uWS.ListenOptions }).LIBUS_LISTEN_EXCLUSIVE_PORT ??
  (1 as uWS.ListenOptions);

/**
 * uWS listens with SO_REUSEPORT by default, so a second node started on a taken port "listens" too and the kernel
 * splits connections between the two processes. Make the transport's `app.listen(port, cb)` bind exclusively.
 */
function listenExclusively(app: uWS.TemplatedApp): void {
  const listen = app.listen.bind(app);
  app.listen = ((port: number, cb: (socket: uWS.us_listen_socket | false) => void) =>
    listen(port, EXCLUSIVE_PORT, cb)) as uWS.TemplatedApp['listen'];
}

export type UwsTransport = uWebSocketsTransport;

export async function createUwsTransport(): Promise<UwsTransport> {
  const { uWebSocketsTransport } = await import('@colyseus/uwebsockets-transport');
  const transport = new uWebSocketsTransport();
  listenExclusively(transport.app);
  return transport;
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
