// Ports: the OS's pick of free ones (for processes whose port nobody chose), and a hold on chosen ones, checked
// up front and held until their owners start, so nothing else (not even our own nats-servers) takes one meanwhile.

import { createServer, type Server } from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

export interface PortHold {
  release(): Promise<void>;
}

/** `count` distinct TCP ports on 127.0.0.1 that were free a moment ago. */
export async function freePorts(count: number): Promise<number[]> {
  // Hold all listeners open together so the kernel cannot hand out the same port twice.
  const servers = await Promise.all(Array.from({ length: count }, () => listen({ port: 0, host: '127.0.0.1' })));
  const ports = servers.map(portOf);
  await Promise.all(servers.map(close));
  return ports;
}

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
