// Ports: free ones picked for processes whose port nobody chose, and a hold on chosen ones, checked
// up front and held until their owners start, so nothing else (not even our own nats-servers) takes one meanwhile.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

export interface PortHold {
  release(): Promise<void>;
}

/**
 * `count` distinct TCP ports that were free a moment ago, on every interface. They are picked below the kernel's
 * ephemeral range where there is room: the kernel's own pick (port 0) comes from that range, which every outgoing
 * connection draws from too, so on a busy machine (a load test's thousands of sockets) one could take the port
 * before its owner listens on it.
 */
export async function freePorts(count: number): Promise<number[]> {
  const range = LISTEN_RANGE;
  // Hold all listeners open together so the same port is not handed out twice.
  const servers: Server[] = [];
  try {
    for (let tries = 0; servers.length < count; tries++) {
      const port = range && tries < count * 50 ? range[0] + Math.floor(Math.random() * (range[1] - range[0])) : 0;
      const server = await listen({ port, exclusive: true }).catch(() => undefined);
      if (server) servers.push(server);
    }
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** Ports to pick from: the 12,000 below the kernel's ephemeral range, if that range starts high enough. */
const LISTEN_RANGE = ((): [number, number] | undefined => {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low >= 13_024 ? [low - 12_000, low] : undefined;
  } catch {
    return undefined; // not Linux: the kernel's pick
  }
})();

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/** `owners[i]` is who needs `ports[i]`; it names them when a port is taken. */
export async function holdPorts(ports: readonly number[], owners: readonly string[]): Promise<PortHold> {
  const held: Server[] = [];
  const release = () => Promise.all(held.map(close)).then(() => undefined);
  for (const [i, port] of ports.entries()) {
    try {
      // No host: like the nodes, which listen on every interface, so a port taken on any one of them counts.
      held.push(await listen({ port, exclusive: true }));
    } catch (err) {
      await release();
      const why = (err as { code?: unknown }).code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${err})`;
      throw new PortInUseError(`port ${port} (for ${owners[i]}) ${why}; pick another --base-port`);
    }
  }
  return { release };
}

function listen(options: { port: number; host?: string; exclusive?: boolean }): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(options, () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP listener');
  return address.port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
