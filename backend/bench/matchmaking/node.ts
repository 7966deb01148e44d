// One backend node for the matchmaking benchmark, as its own process, with the `bench` room registered.
//   node.ts nats  --nats URL --nats-nkey FILE --cluster NAME --store kv --node-id ID --port N --public-address H:P
//   node.ts redis --redis HOST:PORT --node-id ID --port N --public-address H:P
// `nats` is the real node (object runtime, NatsPresence, NatsDriver); `redis` is the same Colyseus server with
// Colyseus's RedisPresence and RedisDriver instead. Prints READY <port> when listening; SIGTERM stops it gracefully.
import { hostname } from 'node:os';
import { defineRoom } from '@colyseus/core';
import { RedisDriver } from '@colyseus/redis-driver';
import { RedisPresence } from '@colyseus/redis-presence';
import { type Logger, pino } from 'pino';
import { type NodeConfig, readConfig } from '../../src/node/config.ts';
import { installCrashGuards } from '../../src/node/crash-guards.ts';
import { startNode } from '../../src/node/node.ts';
import { startServer } from '../../src/node/server.ts';
import { BENCH_ROOM, BenchRoom } from './room.ts';
import { tallyMatchmaking } from './tally.ts';

type Backend = 'nats' | 'redis';

interface Invocation {
  readonly backend: Backend;
  readonly redis: { host: string; port: number } | undefined;
  readonly config: NodeConfig;
}

/** The backend comes first; `--redis HOST:PORT` is ours; every other flag is the node's own (`readConfig`). */
function parseInvocation(argv: readonly string[]): Invocation {
  const [backend, ...rest] = argv;
  if (backend !== 'nats' && backend !== 'redis')
    throw new Error(`first argument must be nats or redis, got ${backend}`);
  const at = rest.indexOf('--redis');
  const address = at >= 0 ? rest.splice(at, 2)[1] : undefined;
  const match = address === undefined ? null : /^([^:]+):(\d+)$/.exec(address);
  if (backend === 'redis' && !match) throw new Error(`redis needs --redis HOST:PORT, got ${address}`);
  const redis = match ? { host: match[1]!, port: Number(match[2]) } : undefined;
  return { backend, redis, config: readConfig(rest, process.env, hostname()) };
}

const rooms = { [BENCH_ROOM]: defineRoom(BenchRoom) };

async function startNats(config: NodeConfig, logger: Logger): Promise<{ port: number; stop(): Promise<void> }> {
  const node = await startNode({ config, logger, rooms });
  return { port: node.server.port, stop: node.stop };
}

async function startRedis(
  config: NodeConfig,
  redis: { host: string; port: number },
  logger: Logger,
): Promise<{ port: number; stop(): Promise<void> }> {
  const presence = new RedisPresence({ host: redis.host, port: redis.port });
  const driver = new RedisDriver({ host: redis.host, port: redis.port });
  const server = await startServer({
    port: config.port,
    nodeId: config.nodeId,
    logger,
    rooms,
    presence,
    driver,
    publicAddress: config.publicAddress,
  });
  return { port: server.port, stop: server.close };
}

const { backend, redis, config } = parseInvocation(process.argv.slice(2));
process.env.RESIDENT_NODE_ID = config.nodeId;
// Logs go to a file the benchmark reads afterwards (warnings and errors are evidence), else to stderr.
const logFile = process.env.BENCH_LOG_FILE;
const destination = pino.destination(logFile ? { dest: logFile, sync: true } : 2);
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn', base: { node: config.nodeId } }, destination);
installCrashGuards(logger);
if (process.env.BENCH_TALLY_FILE) tallyMatchmaking(process.env.BENCH_TALLY_FILE);
const node = backend === 'redis' && redis ? await startRedis(config, redis, logger) : await startNats(config, logger);
process.stdout.write(`READY ${node.port}\n`);
process.on('SIGTERM', () => {
  void node.stop().then(() => process.exit(0));
});
