// The nats-server config files: where each server listens, its JetStream store, and the security it was asked for.

import { join } from 'node:path';
import {
  type LocalCredentials,
  type RouteCredentials,
  renderAuthorization,
  renderRouteAuthorization,
  renderTls,
  routeUrl,
  type ServerTls,
  type ServerUser,
} from '@resident/shared/nats';
import { freePorts } from '../process/ports.ts';

export interface ServerLayout {
  name: string;
  dir: string;
  port: number;
  monitorPort: number;
  jetstream: boolean;
  /** JetStream fsyncs every write before acknowledging it (`sync_interval: always`), as a database flushes its WAL. */
  syncAlways: boolean;
  cluster?: { name: string; port: number; routes: number[] };
}

export interface Security {
  credentials: LocalCredentials | undefined;
  users: readonly ServerUser[];
  tls: ServerTls | undefined;
}

export interface LayoutSpec {
  size: number;
  jetstream: boolean;
  clustered: boolean;
  /** Default false: JetStream syncs to disk on its own interval (2 min), writes are in its file before the ack. */
  syncAlways?: boolean;
}

export function renderConfig(layout: ServerLayout, security: Security): string {
  const lines = [
    `server_name: ${layout.name}`,
    `listen: 127.0.0.1:${layout.port}`,
    `http: 127.0.0.1:${layout.monitorPort}`,
  ];
  const sync = layout.syncAlways ? ', sync_interval: always' : '';
  if (layout.jetstream) lines.push(`jetstream { store_dir: ${JSON.stringify(storeDirOf(layout))}${sync} }`);
  const { credentials, users, tls } = security;
  if (credentials) lines.push(renderAuthorization(credentials.cluster, [...credentials.users, ...users]));
  if (tls) lines.push(renderTls(tls));
  const cluster = layout.cluster;
  if (cluster) lines.push(renderCluster(cluster, credentials?.route));
  return `${lines.join('\n')}\n`;
}

function renderCluster(cluster: NonNullable<ServerLayout['cluster']>, route: RouteCredentials | undefined): string {
  const routes = cluster.routes.map((p) => routeUrl('127.0.0.1', p, route)).join(', ');
  const auth = route ? `, ${renderRouteAuthorization(route)}` : '';
  // no_advertise: a client given one server's URL must stay on that server, or kill/pause tests prove nothing.
  return `cluster { name: ${cluster.name}, listen: 127.0.0.1:${cluster.port}, no_advertise: true, routes: [${routes}]${auth} }`;
}

export function storeDirOf(layout: ServerLayout): string {
  return join(layout.dir, 'store');
}

/** One layout per server under `root`, on free ports. */
export async function planLayouts(root: string, spec: LayoutSpec): Promise<ServerLayout[]> {
  const ports = await freePorts(spec.size * (spec.clustered ? 3 : 2));
  const take = (): number => {
    const port = ports.shift();
    if (port === undefined) throw new Error('ran out of allocated ports');
    return port;
  };
  // The random suffix makes the server_name check in readiness probes meaningful across parallel harnesses.
  const suffix = root.slice(-6).toLowerCase();
  const routePorts = spec.clustered ? Array.from({ length: spec.size }, take) : [];
  return Array.from({ length: spec.size }, (_, i): ServerLayout => {
    const layout: ServerLayout = {
      name: `n${i}-${suffix}`,
      dir: join(root, `n${i}`),
      port: take(),
      monitorPort: take(),
      jetstream: spec.jetstream,
      syncAlways: spec.syncAlways ?? false,
    };
    const port = routePorts[i];
    if (port !== undefined) {
      layout.cluster = { name: `resident-${suffix}`, port, routes: routePorts.filter((p) => p !== port) };
    }
    return layout;
  });
}
