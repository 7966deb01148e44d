// Reads one instance's settings from flags and the environment (flags win), with the node's parsers and wording.
// Pure: throws ConfigError, never exits or logs.
import { hostname } from 'node:os';
import {
  ConfigError,
  DEFAULT_LIMITS,
  parseHost,
  parseInteger,
  parseNodeId,
  parsePort,
  parseSecret,
  secretSetting,
  settingsReader,
} from '../../src/node/config.ts';
import { DEFAULT_CACHE_TTL_SECONDS, DEFAULT_PG_POOL, type StatelessApiOptions } from './server.ts';

export const DEFAULT_PORT = 3000;

/** Flag name → environment variable; the ones Resident's node also reads have its names. */
const SETTINGS = {
  port: 'PORT',
  listen: 'RESIDENT_LISTEN',
  'pg-url': 'DATABASE_URL',
  'redis-url': 'REDIS_URL',
  'auth-secret': 'RESIDENT_AUTH_SECRET',
  'auth-secret-file': 'RESIDENT_AUTH_SECRET_FILE',
  'instance-id': 'NODE_ID',
  'pg-pool': 'STATELESS_PG_POOL',
  'cache-ttl': 'STATELESS_CACHE_TTL',
  'max-body': 'RESIDENT_MAX_BODY',
} as const;
type Setting = keyof typeof SETTINGS;

export const USAGE = `usage: node --import tsx backend/baselines/stateless/main.ts [options]
The stateless twin of Resident's player and leaderboard services (Fastify, PostgreSQL, Redis); each option can
also be set by the environment variable shown.
  --port N               ${SETTINGS.port}                 HTTP port (default ${DEFAULT_PORT})
  --listen HOST          ${SETTINGS.listen}      address to listen on (default 127.0.0.1)
  --pg-url URL           ${SETTINGS['pg-url']}         postgres://user:password@host:port/database (required)
  --redis-url URL        ${SETTINGS['redis-url']}            redis://host:port (required)
  --auth-secret S        ${SETTINGS['auth-secret']} the Resident nodes' guest-token secret, >= 32 characters
  --auth-secret-file F   ${SETTINGS['auth-secret-file']} the same, read from file F (one of the two is required)
  --instance-id ID       ${SETTINGS['instance-id']}              shown as a profile's "node", A-Z a-z 0-9 _ - (default <hostname>-<random>)
  --pg-pool N            ${SETTINGS['pg-pool']}    PostgreSQL connections, 1-1000 (default ${DEFAULT_PG_POOL}: 2 per core)
  --cache-ttl S          ${SETTINGS['cache-ttl']}  seconds a cached profile lives, 1-86400 (default ${DEFAULT_CACHE_TTL_SECONDS})
  --max-body BYTES       ${SETTINGS['max-body']}    largest request body, 256-1048576 (default ${DEFAULT_LIMITS.maxBodyBytes})
  -h, --help             this help`;

export function readStatelessConfig(argv: string[], env: NodeJS.ProcessEnv): StatelessApiOptions & { port: number } {
  const { get } = settingsReader(SETTINGS, argv, env);
  const [port, portName] = get('port');
  const [listen, listenName] = get('listen');
  return {
    port: port === undefined ? DEFAULT_PORT : parsePort(port, portName),
    host: listen === undefined ? '127.0.0.1' : parseHost(listen, listenName),
    pg: parseUrl(...get('pg-url'), ['postgres:', 'postgresql:']),
    redis: parseUrl(...get('redis-url'), ['redis:', 'rediss:']),
    secret: parseSecret(...secretSetting<Setting>(get, 'auth-secret', 'auth-secret-file'), true)!,
    instanceId: parseNodeId(get('instance-id')[0], hostname(), get('instance-id')[1]),
    pgPoolSize: parseInteger(...get('pg-pool'), DEFAULT_PG_POOL, 1, 1000),
    cacheTtlSeconds: parseInteger(...get('cache-ttl'), DEFAULT_CACHE_TTL_SECONDS, 1, 86_400),
    maxBodyBytes: parseInteger(...get('max-body'), DEFAULT_LIMITS.maxBodyBytes, 256, 1_048_576),
  };
}

function parseUrl(raw: string | undefined, name: string, protocols: readonly string[]): string {
  if (raw === undefined) throw new ConfigError(`${name} is required (see --help)`);
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || !protocols.includes(url.protocol) || !url.hostname) {
    throw new ConfigError(`${name} must be a ${protocols[0]}//host:port URL, got ${JSON.stringify(redact(raw))}`);
  }
  return raw;
}

/** A URL's password does not belong in an error message. */
function redact(raw: string): string {
  return raw.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@');
}
