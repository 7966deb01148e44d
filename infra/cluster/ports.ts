// Checks the nodes' ports up front, and holds them until the nodes start, so nothing else (not even our own
// nats-servers, which take ports the OS picks) can take one in the meantime.

import { createServer, type Server } from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

export interface PortHold {
  release(): Promise<void>;
}

/** `owners[i]` is who needs `ports[i]`; it names them when a port is taken. */
export async function holdPorts(ports: readonly number[], owners: readonly string[]): Promise<PortHold> {
  const held: Server[] = [];
  const release = () => Promise.all(held.map(close)).then(() => undefined);
  for (const [i, port] of ports.entries()) {
    try {
      held.push(await listen(port));
    } catch (err) {
      await release();
      const why = (err as { code?: unknown }).code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${err})`;
      throw new PortInUseError(`port ${port} (for ${owners[i]}) ${why}; pick another --base-port`);
    }
  }
  return { release };
}

// No host: like the nodes, which listen on every interface, so a port taken on any one of them counts.
function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
