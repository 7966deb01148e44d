// Entry point (`npm start`): reads env, starts the node, wires SIGINT/SIGTERM to a graceful shutdown.

import { hostname } from 'node:os';
import { pino } from 'pino';
import { type NodeConfig, readConfig, USAGE } from './config.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

let config: NodeConfig;
try {
  config = readConfig(argv, process.env, hostname());
} catch (err) {
  console.error(`resident: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

const logger = pino({ base: { node: config.nodeId } });

// Loaded only once the config is valid: loading it picks (and logs) the uWebSockets.js build.
const { startServer } = await import('./server.ts');

let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer({ port: config.port, nodeId: config.nodeId, logger });
} catch (err) {
  logger.fatal({ err }, 'failed to start');
  process.exit(1);
}

logger.info(
  { port: server.port, uws: server.uwsBuild },
  `listening on port ${server.port}: Colyseus 0.18 over uWebSockets.js ${server.uwsBuild}; GET /health`,
);
logger.info(
  'not wired into this node yet: the object runtime (backend/src/objects, built and tested on its own), NATS presence/driver and the game; no rooms are defined, so matchmaking answers "not defined"',
);

let stopping = false;
function shutdown(signal: NodeJS.Signals): void {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting without waiting for rooms');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down: locking and disposing rooms');
  server.close().then(
    () => {
      logger.info('stopped');
      process.exit(0);
    },
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
