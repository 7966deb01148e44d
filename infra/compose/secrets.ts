// The files compose.yaml mounts as secrets: one nkey per NATS role, the nats-server config (every role's
// permissions for the cluster, rendered by shared/nats, with the route password), the guest-token secret (the nodes
// also derive their membership key from it) and the /metrics token. Written once, kept across restarts of the stack.

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkClusterName,
  createLocalCredentials,
  type LocalCredentials,
  ROLES,
  renderAuthorization,
  renderRouteAuthorization,
  routeUrl,
} from '@resident/shared/nats';

export const DEFAULT_SECRETS_DIR = fileURLToPath(new URL('./secrets', import.meta.url));
/** compose.yaml's default RESIDENT_CLUSTER: the permissions name the cluster, so both must agree. */
export const DEFAULT_CLUSTER = 'resident';
/** compose.yaml's nats services: the one config lists them all as routes (a server ignores its route to itself). */
export const NATS_SERVICES = ['nats1', 'nats2', 'nats3'] as const;

/** What the secrets folder holds besides `<role>.nk` for every role; compose.yaml mounts these names. */
export const SECRET_FILES = {
  natsConfig: 'nats-server.conf',
  authSecret: 'auth-secret',
  metricsToken: 'metrics-token',
} as const;

const CLIENT_PORT = 4222;
const ROUTE_PORT = 6222;
const MONITOR_PORT = 8222;

export interface WriteOptions {
  readonly dir?: string;
  readonly cluster?: string;
  /** Replace secrets already there (a running stack then needs `down` and `up`; guest tokens become invalid). */
  readonly force?: boolean;
}

export interface WrittenSecrets {
  readonly dir: string;
  readonly cluster: string;
  readonly files: readonly string[];
}

export function writeSecrets(opts: WriteOptions = {}): WrittenSecrets {
  const dir = resolve(opts.dir ?? DEFAULT_SECRETS_DIR);
  const cluster = checkClusterName(opts.cluster ?? DEFAULT_CLUSTER);
  const names = [...ROLES.map((role) => `${role}.nk`), ...Object.values(SECRET_FILES)];
  const taken = names.filter((name) => existsSync(join(dir, name)));
  if (taken.length > 0 && !opts.force) {
    throw new Error(`${dir} already holds ${taken.join(', ')}: a stack may be using them (--force replaces them all)`);
  }
  // The folder keeps other users of this host out; the files inside must be readable by the containers' own
  // non-root users (node 10001, nats, nobody), which bind-mounted Compose secrets cannot chown.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const credentials = createLocalCredentials(dir, cluster);
  writeFileSync(join(dir, SECRET_FILES.natsConfig), renderNatsConfig(credentials));
  writeFileSync(join(dir, SECRET_FILES.authSecret), randomBytes(32).toString('base64url'));
  writeFileSync(join(dir, SECRET_FILES.metricsToken), randomBytes(24).toString('base64url'));
  for (const name of names) chmodSync(join(dir, name), 0o644);
  return { dir, cluster, files: names };
}

/** One config for nats1-3: each gets its server_name from `--name`; clients and routes need credentials. */
export function renderNatsConfig(credentials: LocalCredentials): string {
  const routes = NATS_SERVICES.map((host) => routeUrl(host, ROUTE_PORT, credentials.route)).join(', ');
  const lines = [
    `# nats-server config of infra/compose for cluster "${credentials.cluster}", written by infra/compose/main.ts secrets`,
    `listen: 0.0.0.0:${CLIENT_PORT}`,
    '# Monitoring shows connections and subjects: inside the container only (its healthcheck uses /healthz).',
    `http: 127.0.0.1:${MONITOR_PORT}`,
    'jetstream { store_dir: "/data/jetstream" }',
    renderAuthorization(credentials.cluster, credentials.users),
    // no_advertise: the nodes know all three servers by their service names; container addresses change.
    `cluster { name: resident, listen: 0.0.0.0:${ROUTE_PORT}, no_advertise: true, routes: [${routes}], ${renderRouteAuthorization(credentials.route)} }`,
  ];
  return `${lines.join('\n')}\n`;
}
