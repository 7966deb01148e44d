// Reads the node's settings from flags and the environment (flags win). Pure: throws ConfigError, never exits or logs.

import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  loadNatsClientAuth,
  NATS_CLIENT_SETTINGS,
  type NatsClientAuth,
  NatsSettingError,
  natsClientSettings,
  natsClientUsage,
  secretOnce,
} from '@resident/shared/nats';

export const DEFAULT_PORT = 2567;
export const DEFAULT_LOGIN_RATE = 5;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type StoreKind = 'kv' | 'lmdb' | 'memory';

export interface NodeConfig {
  port: number;
  nodeId: string;
  /** NATS server URLs; empty means the embedded single node (no NATS). */
  natsUrls: string[];
  /** Cluster name: nodes with the same NATS and cluster name form one cluster. */
  cluster: string;
  /** Where clients reach this node, e.g. `game1.example.com:2567`; Colyseus hands it out with seat reservations. */
  publicAddress: string;
  store: StoreKind;
  /** LMDB data folder for the embedded node. */
  dataDir: string;
  /** JetStream replicas for the cluster's buckets (3 in production). */
  replicas: number;
  /** HMAC secret for guest tokens; undefined on an embedded node means "generate one" (dev only). */
  authSecret: string | undefined;
  /** The built browser client served at `/`. */
  clientDir: string;
  /** Guest logins per second per client address (burst 10×). */
  loginRate: number;
  /** Players per arena room; undefined: the game's own (loadgen:scale uses small ones, so rooms spread over nodes). */
  arenaSize: number | undefined;
  /** Stateless mode: the stateless twin's instances serve profiles, XP and the leaderboard (empty: objects). */
  statelessApi: string[];
  /** Membership heartbeat period; failure detection scales with it. Undefined: the runtime's default. */
  heartbeatMs: number | undefined;
  /** Credentials and TLS for NATS, already read from their files; undefined on the embedded node. */
  natsAuth?: NatsClientAuth | undefined;
  /** HTTP and WebSocket exposure and limits (their own block below). */
  http: HttpSettings;
  limits: Limits;
}

// ---- HTTP and WebSocket exposure and limits (flags, defaults, validation) ----

export interface HttpSettings {
  /** Address the main HTTP/WebSocket port binds to; undefined: every address. */
  listen: string | undefined;
  /** Serve /metrics on this address (and not on the main port); undefined: on the main port. */
  metricsListen: { host: string; port: number } | undefined;
  /** When set, /metrics answers only requests with `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
}

/** Per-request, per-socket, per-client and per-player limits; see DEFAULT_LIMITS. */
export interface Limits {
  /** Largest request body in bytes (matchmaking and /api); larger ones get 413 before they are read. */
  maxBodyBytes: number;
  /** Deepest nesting of matchmaking (create/join) options. */
  maxOptionsDepth: number;
  /** A WebSocket that sends nothing (not even a pong) for this long is closed. */
  wsIdleTimeoutSeconds: number;
  /** Messages per second one client may send to a room; more closes its connection. */
  messagesPerSecond: number;
  /** How long a seat handed out by matchmaking waits for its client to join. */
  seatReservationSeconds: number;
  /** Seats (reserved, joined, or held for a reconnection) one player may hold on a node at once. */
  seatsPerPlayer: number;
  /** The same for one client address. */
  seatsPerAddress: number;
  /** Rooms one player may create per minute on a node. */
  roomsPerPlayerPerMinute: number;
  /** The same for one client address. */
  roomsPerAddressPerMinute: number;
  /** Matchmaking requests served at once; more get 503 with Retry-After (a join storm is refused early). */
  maxPendingJoins: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 4096,
  maxOptionsDepth: 8,
  wsIdleTimeoutSeconds: 60,
  messagesPerSecond: 120,
  seatReservationSeconds: 10,
  seatsPerPlayer: 4,
  seatsPerAddress: 64,
  roomsPerPlayerPerMinute: 6,
  roomsPerAddressPerMinute: 60,
  maxPendingJoins: 256,
};

const HTTP_SETTINGS = {
  listen: 'RESIDENT_LISTEN',
  'metrics-listen': 'RESIDENT_METRICS_LISTEN',
  'metrics-token': 'RESIDENT_METRICS_TOKEN',
  'metrics-token-file': 'RESIDENT_METRICS_TOKEN_FILE',
  'max-body': 'RESIDENT_MAX_BODY',
  'max-options-depth': 'RESIDENT_MAX_OPTIONS_DEPTH',
  'ws-idle-timeout': 'RESIDENT_WS_IDLE_TIMEOUT',
  'max-messages': 'RESIDENT_MAX_MESSAGES',
  'seat-reservation': 'RESIDENT_SEAT_RESERVATION',
  'seats-per-player': 'RESIDENT_SEATS_PER_PLAYER',
  'seats-per-address': 'RESIDENT_SEATS_PER_ADDRESS',
  'rooms-per-player': 'RESIDENT_ROOMS_PER_PLAYER',
  'rooms-per-address': 'RESIDENT_ROOMS_PER_ADDRESS',
  'max-pending-joins': 'RESIDENT_MAX_PENDING_JOINS',
} as const;
type HttpSetting = keyof typeof HTTP_SETTINGS;

const D = DEFAULT_LIMITS;
const HTTP_USAGE = `HTTP, WebSocket and room limits (per node; "address" is the client's TCP peer address):
  --listen HOST          ${HTTP_SETTINGS.listen} address the HTTP/WebSocket port binds to (default: every address)
  --metrics-listen H:P   ${HTTP_SETTINGS['metrics-listen']} serve /metrics there instead of on the main port
  --metrics-token T      ${HTTP_SETTINGS['metrics-token']} /metrics needs "Authorization: Bearer T" (>= 16 characters)
  --metrics-token-file F ${HTTP_SETTINGS['metrics-token-file']} the same, read from file F (a mounted secret)
                         (default: /metrics open on the main port, for local development)
  --max-body BYTES       ${HTTP_SETTINGS['max-body']} largest request body, 256-1048576 (default ${D.maxBodyBytes})
  --max-options-depth N  ${HTTP_SETTINGS['max-options-depth']} deepest nesting of matchmaking options, 1-32 (default ${D.maxOptionsDepth})
  --ws-idle-timeout S    ${HTTP_SETTINGS['ws-idle-timeout']} close a silent WebSocket after S seconds, 8-960 (default ${D.wsIdleTimeoutSeconds})
  --max-messages N       ${HTTP_SETTINGS['max-messages']} messages per second per client, 1-10000 (default ${D.messagesPerSecond})
  --seat-reservation S   ${HTTP_SETTINGS['seat-reservation']} seconds a matchmade seat waits for its join, 1-60 (default ${D.seatReservationSeconds})
  --seats-per-player N   ${HTTP_SETTINGS['seats-per-player']} seats one player may hold at once (default ${D.seatsPerPlayer})
  --seats-per-address N  ${HTTP_SETTINGS['seats-per-address']} seats one address may hold at once (default ${D.seatsPerAddress})
  --rooms-per-player N   ${HTTP_SETTINGS['rooms-per-player']} rooms one player may create per minute (default ${D.roomsPerPlayerPerMinute})
  --rooms-per-address N  ${HTTP_SETTINGS['rooms-per-address']} rooms one address may create per minute (default ${D.roomsPerAddressPerMinute})
  --max-pending-joins N  ${HTTP_SETTINGS['max-pending-joins']} joins in progress at once (matchmaking requests in flight and
                         seats handed out not yet joined); more matchmaking gets 503 with Retry-After (default ${D.maxPendingJoins})`;

const MIN_METRICS_TOKEN = 16;

function readHttpSettings(get: (key: HttpSetting) => [string | undefined, string]): {
  http: HttpSettings;
  limits: Limits;
} {
  const int = (key: HttpSetting, fallback: number, min = 1, max = 1_000_000) =>
    parseInteger(...get(key), fallback, min, max);
  const [token, tokenName] = secretSetting(get, 'metrics-token', 'metrics-token-file');
  if (token !== undefined && token.length < MIN_METRICS_TOKEN)
    throw new ConfigError(`${tokenName} must be at least ${MIN_METRICS_TOKEN} characters, got ${token.length}`);
  const [listen, listenName] = get('listen');
  return {
    http: {
      listen: listen === undefined ? undefined : parseHost(listen, listenName),
      metricsListen: parseHostPort(...get('metrics-listen')),
      metricsToken: token,
    },
    limits: {
      maxBodyBytes: int('max-body', D.maxBodyBytes, 256, 1_048_576),
      maxOptionsDepth: int('max-options-depth', D.maxOptionsDepth, 1, 32),
      wsIdleTimeoutSeconds: int('ws-idle-timeout', D.wsIdleTimeoutSeconds, 8, 960),
      messagesPerSecond: int('max-messages', D.messagesPerSecond, 1, 10_000),
      seatReservationSeconds: int('seat-reservation', D.seatReservationSeconds, 1, 60),
      seatsPerPlayer: int('seats-per-player', D.seatsPerPlayer),
      seatsPerAddress: int('seats-per-address', D.seatsPerAddress),
      roomsPerPlayerPerMinute: int('rooms-per-player', D.roomsPerPlayerPerMinute),
      roomsPerAddressPerMinute: int('rooms-per-address', D.roomsPerAddressPerMinute),
      maxPendingJoins: int('max-pending-joins', D.maxPendingJoins, 1, 100_000),
    },
  };
}

/** A host name or IP address as uWS binds it: IPv6 without brackets. */
export function parseHost(raw: string, name: string): string {
  const host = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(host))
    throw new ConfigError(`${name} must be a host name or IP address, got ${JSON.stringify(raw)}`);
  return host;
}

function parseHostPort(raw: string | undefined, name: string): { host: string; port: number } | undefined {
  if (raw === undefined) return undefined;
  const colon = raw.lastIndexOf(':');
  const port = colon > 0 && /^\d{1,5}$/.test(raw.slice(colon + 1)) ? Number(raw.slice(colon + 1)) : 0;
  if (port < 1 || port > 65535) throw new ConfigError(`${name} must be HOST:PORT, got ${JSON.stringify(raw)}`);
  return { host: parseHost(raw.slice(0, colon), name), port };
}

// ---- end of HTTP and WebSocket settings ----

/** Flag name → environment variable. */
const SETTINGS = {
  port: 'PORT',
  'node-id': 'NODE_ID',
  nats: 'NATS_URL',
  cluster: 'RESIDENT_CLUSTER',
  'public-address': 'PUBLIC_ADDRESS',
  store: 'RESIDENT_STORE',
  'data-dir': 'RESIDENT_DATA_DIR',
  replicas: 'RESIDENT_REPLICAS',
  'auth-secret': 'RESIDENT_AUTH_SECRET',
  'auth-secret-file': 'RESIDENT_AUTH_SECRET_FILE',
  'client-dir': 'RESIDENT_CLIENT_DIR',
  'login-rate': 'RESIDENT_LOGIN_RATE',
  'arena-size': 'RESIDENT_ARENA_SIZE',
  'heartbeat-ms': 'RESIDENT_HEARTBEAT_MS',
  'stateless-api': 'RESIDENT_STATELESS_API',
  ...NATS_CLIENT_SETTINGS,
  ...HTTP_SETTINGS,
} as const;
type Setting = keyof typeof SETTINGS;

export const USAGE = `usage: npm start -- [options]     (each option can also be set by the environment variable shown)
  --port N               ${SETTINGS.port}              HTTP/WebSocket port (default ${DEFAULT_PORT})
  --node-id ID           ${SETTINGS['node-id']}           unique node id, A-Z a-z 0-9 _ - (default <hostname>-<random>)
  --nats URL[,URL…]      ${SETTINGS.nats}          NATS servers; omit for the embedded single node
  --cluster NAME         ${SETTINGS.cluster}  cluster name (default "default")
  --public-address H:P   ${SETTINGS['public-address']}    address clients use to reach this node (default localhost:<port>)
  --store kv|lmdb|memory ${SETTINGS.store}    object state store (default kv with NATS, lmdb without)
  --data-dir DIR         ${SETTINGS['data-dir']} LMDB folder (default .data/<node-id>, or .data/embedded)
  --replicas N           ${SETTINGS.replicas} JetStream replicas, 1 or 3 (default 1)
  --auth-secret S        ${SETTINGS['auth-secret']} guest-token HMAC secret, >= 32 characters, the same on every
                         node (required with NATS; an embedded node generates one and warns)
  --auth-secret-file F   ${SETTINGS['auth-secret-file']} the same, read from file F (a mounted secret)
  --client-dir DIR       ${SETTINGS['client-dir']} built browser client served at / (default client/dist)
  --login-rate N         ${SETTINGS['login-rate']} guest logins per second per client address, burst 10x (default
                         ${DEFAULT_LOGIN_RATE}; raise it for load tests from few addresses)
  --arena-size N         ${SETTINGS['arena-size']} players per arena room, 1-500 (default: the game's own)
  --heartbeat-ms N       ${SETTINGS['heartbeat-ms']} membership heartbeat period, 50-5000 (default 200); a silent node
                         is suspected after 5 and declared dead after 7.5 periods: longer saves CPU in big
                         clusters, failover takes longer. The same on every node
  --stateless-api URL[,URL…] ${SETTINGS['stateless-api']} stateless mode, for comparisons: rooms and /api use the
                         stateless twin at these http:// URLs (backend/baselines/stateless) instead of Resident's
                         Player and leaderboard objects; needs the twin's --auth-secret
${HTTP_USAGE}
NATS credentials (one of creds, nkey, user) and TLS, with --nats (see docs/NATS-SECURITY.md):
${natsClientUsage()}`;

/** `raw` unset means the default; anything else must be a plain decimal integer in 1..65535. */
export function parsePort(raw: string | undefined, name = 'PORT'): number {
  if (raw === undefined) return DEFAULT_PORT;
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`${name} must be an integer from 1 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

// Node ids end up in NATS subjects, so keep them to characters that are safe there.
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The given id, else `<hostname>-<6 random hex>` so two processes on one host never share an id. */
export function parseNodeId(raw: string | undefined, host: string, name = 'NODE_ID'): string {
  if (raw !== undefined) {
    if (!ID.test(raw))
      throw new ConfigError(`${name} must be 1-64 characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(raw)}`);
    return raw;
  }
  const safeHost = host.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 50) || 'node';
  return `${safeHost}-${randomBytes(3).toString('hex')}`;
}

function parseNatsUrls(raw: string | undefined, name: string): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((url) => {
    const trimmed = url.trim();
    if (!/^(nats|tls|ws|wss):\/\/[^\s/]+$/.test(trimmed)) {
      throw new ConfigError(
        `${name} must be nats://host:port (comma-separated for several), got ${JSON.stringify(trimmed)}`,
      );
    }
    return trimmed;
  });
}

function parseChoice<T extends string>(raw: string | undefined, name: string, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

function parseAddress(raw: string | undefined, name: string, port: number): string {
  if (raw === undefined) return `localhost:${port}`;
  if (!/^[A-Za-z0-9.[\]:-]+(:\d{1,5})?$/.test(raw))
    throw new ConfigError(`${name} must be host[:port], got ${JSON.stringify(raw)}`);
  return raw;
}

/** A secret given inline (`key`) or as a file (`fileKey`), not both; the name returned is the one that was set. */
export function secretSetting<K extends string>(
  get: (key: K) => [string | undefined, string],
  key: K,
  fileKey: K,
): [string | undefined, string] {
  const named = ([value, name]: [string | undefined, string]) => (value === undefined ? undefined : { value, name });
  const inline = get(key);
  try {
    const found = secretOnce(named(inline), named(get(fileKey)), 'secret');
    return found ? [found.value, found.name] : [undefined, inline[1]];
  } catch (err) {
    throw err instanceof NatsSettingError ? new ConfigError(err.message) : err;
  }
}

/**
 * Reads `settings` (flag name → environment variable) from flags first, then the environment. The getter returns
 * a value and the name the user actually set, for errors.
 */
export function settingsReader<K extends string>(
  settings: Readonly<Record<K, string>>,
  argv: string[],
  env: NodeJS.ProcessEnv,
): { flags: Partial<Record<K, string>>; get: (key: K) => [string | undefined, string] } {
  const flags = parseFlags(settings, argv);
  const get = (key: K): [string | undefined, string] =>
    flags[key] !== undefined ? [flags[key], `--${key}`] : [env[settings[key]], settings[key]];
  return { flags, get };
}

function parseFlags<K extends string>(
  settings: Readonly<Record<K, string>>,
  argv: string[],
): Partial<Record<K, string>> {
  const options = Object.fromEntries(Object.keys(settings).map((k) => [k, { type: 'string' as const }]));
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Partial<
      Record<K, string>
    >;
  } catch (err) {
    throw new ConfigError(`${err instanceof Error ? err.message : String(err)} (see --help)`);
  }
}

export function readConfig(argv: string[], env: NodeJS.ProcessEnv, host: string): NodeConfig {
  const { flags, get } = settingsReader(SETTINGS, argv, env);
  const port = parsePort(...get('port'));
  const nodeId = parseNodeId(get('node-id')[0], host, get('node-id')[1]);
  const natsUrls = parseNatsUrls(...get('nats'));
  const [clusterRaw, clusterName] = get('cluster');
  const cluster = clusterRaw ?? 'default';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(cluster))
    throw new ConfigError(`${clusterName} must be 1-32 characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(cluster)}`);
  const [storeRaw, storeName] = get('store');
  const store = parseChoice(storeRaw, storeName, ['kv', 'lmdb', 'memory'] as const, natsUrls.length ? 'kv' : 'lmdb');
  if (store === 'kv' && natsUrls.length === 0)
    throw new ConfigError(`${storeName}=kv needs NATS: set --nats or ${SETTINGS.nats}`);
  const [replicasRaw, replicasName] = get('replicas');
  const replicas = Number(parseChoice(replicasRaw, replicasName, ['1', '3'] as const, '1'));
  const authSecret = parseSecret(...secretSetting(get, 'auth-secret', 'auth-secret-file'), natsUrls.length > 0);
  return {
    port,
    nodeId,
    natsUrls,
    cluster,
    publicAddress: parseAddress(get('public-address')[0], get('public-address')[1], port),
    store,
    // Stable by default, so an embedded node finds its state again after a restart.
    dataDir: get('data-dir')[0] ?? `.data/${get('node-id')[0] ?? 'embedded'}`,
    replicas,
    authSecret,
    clientDir: get('client-dir')[0] ?? DEFAULT_CLIENT_DIR,
    loginRate: parsePositive(...get('login-rate'), DEFAULT_LOGIN_RATE),
    arenaSize: optionalInteger(...get('arena-size'), 1, 500),
    heartbeatMs: optionalInteger(...get('heartbeat-ms'), 50, 5000),
    statelessApi: parseStatelessApi(...get('stateless-api'), authSecret),
    natsAuth: natsUrls.length ? readNatsAuth(flags, env) : undefined,
    ...readHttpSettings(get),
  };
}

/** The twin's instances; it verifies the tokens the node signs, so both must be given the same secret. */
function parseStatelessApi(raw: string | undefined, name: string, secret: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const urls = raw.split(',').map((url) => {
    const trimmed = url.trim().replace(/\/$/, '');
    if (!/^https?:\/\/[A-Za-z0-9.[\]:-]+$/.test(trimmed))
      throw new ConfigError(
        `${name} must be http://host:port (comma-separated for several), got ${JSON.stringify(trimmed)}`,
      );
    return trimmed;
  });
  if (secret === undefined)
    throw new ConfigError(
      `${name} needs --auth-secret (${SETTINGS['auth-secret']}): the twin must verify the tokens the node signs with it`,
    );
  return urls;
}

/** The embedded node has no NATS, so NATS settings in its environment are not its concern. */
function readNatsAuth(flags: Partial<Record<Setting, string>>, env: NodeJS.ProcessEnv): NatsClientAuth {
  try {
    return loadNatsClientAuth(natsClientSettings(flags, env));
  } catch (err) {
    throw err instanceof NatsSettingError ? new ConfigError(err.message) : err;
  }
}

function optionalInteger(raw: string | undefined, name: string, min: number, max: number): number | undefined {
  return raw === undefined ? undefined : parseInteger(raw, name, min, min, max);
}

function parsePositive(raw: string | undefined, name: string, fallback: number): number {
  return parseInteger(raw, name, fallback, 1, Number.MAX_SAFE_INTEGER);
}

export function parseInteger(
  raw: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER
        ? min === 1
          ? 'a positive integer'
          : `an integer >= ${min}`
        : `an integer from ${min} to ${max}`;
    throw new ConfigError(`${name} must be ${range}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

const DEFAULT_CLIENT_DIR = fileURLToPath(new URL('../../../client/dist', import.meta.url));
export const MIN_SECRET_LENGTH = 32;

export function parseSecret(raw: string | undefined, name: string, clustered: boolean): string | undefined {
  if (raw === undefined) {
    if (clustered) {
      throw new ConfigError(
        `a cluster needs a shared guest-token secret: set --auth-secret, ${SETTINGS['auth-secret']} or ${SETTINGS['auth-secret-file']} (the same on every node)`,
      );
    }
    return undefined;
  }
  if (raw.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`${name} must be at least ${MIN_SECRET_LENGTH} characters, got ${raw.length}`);
  }
  return raw;
}
