// Entry point (`npm start`): reads env, starts the node, wires SIGINT/SIGTERM to a graceful shutdown.

import { hostname } from 'node:os';
import { pino } from 'pino';
import { ConfigError, type NodeConfig, readConfig, USAGE } from './config.ts';
import { installCrashGuards } from './crash-guards.ts';

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
installCrashGuards(logger);

// Loaded only once the config is valid: loading it picks (and logs) the uWebSockets.js build.
const { startNode } = await import('./node.ts');

let node: Awaited<ReturnType<typeof startNode>>;
try {
  node = await startNode({ config, logger });
} catch (err) {
  // A setting found wrong only at start (NATS refused the credential, TLS failed): one line, as for a bad flag.
  if (err instanceof ConfigError) console.error(`resident: ${err.message}`);
  else logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'failed to start');
  process.exit(1);
}
const { server } = node;
const mode = config.natsUrls.length
  ? `cluster "${config.cluster}" on NATS ${config.natsUrls.join(',')}, state in ${config.store}`
  : `embedded (no NATS), state in ${config.store} at ${config.dataDir}`;
logger.info(
  { port: server.port, uws: server.uwsBuild, mode, publicAddress: config.publicAddress },
  `listening on port ${server.port}: Colyseus 0.18 over uWebSockets.js ${server.uwsBuild}; ${mode}; GET /health /ready /metrics`,
);
logger.info(`play at http://localhost:${server.port}/ (rooms: arena, lounge)`);

let stopping = false;
function shutdown(signal: NodeJS.Signals): void {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting without waiting for rooms');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down: disposing rooms, handing objects over');
  const started = performance.now();
  node.stop().then(
    () => {
      // How long the drain took: what an orchestrator's grace period must exceed.
      logger.info({ drainSeconds: Number(((performance.now() - started) / 1000).toFixed(2)) }, 'stopped');
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
