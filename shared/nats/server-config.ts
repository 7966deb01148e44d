// Renders the nats-server configuration blocks for the roles: client authorization with per-role permissions,
// route authorization between the servers of a NATS cluster, and TLS. Plain nats-server 2.9 syntax.

import { permissionsFor, ROLES, type Role, type RolePermissions, type SubjectRules } from './roles.ts';

/** One client identity: an nkey (public key, `U…`) or a user and password; permissions come from its role. */
export type ServerUser =
  | { readonly role: Role; readonly nkey: string }
  | { readonly role: Role; readonly user: string; readonly password: string };

export interface RouteCredentials {
  readonly user: string;
  readonly password: string;
}

export interface ServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** Also require and verify client certificates signed by this CA. */
  readonly verifyClientsCa?: string;
}

const q = (s: string): string => JSON.stringify(s);

/** Stand-ins an operator replaces with real public nkeys (or user and password entries): what the docs show. */
export const PLACEHOLDER_USERS: readonly ServerUser[] = ROLES.map((role) => ({ role, nkey: `<${role} nkey: U…>` }));

/** Named after the cluster too, so the blocks of several clusters on one NATS merge without a clash. */
export const permissionsVariable = (cluster: string, role: Role): string => `RSD_${cluster}_${role.toUpperCase()}`;

/** One subject a line, so an operator can read (and diff) what each role gets. */
function rules(kind: 'publish' | 'subscribe', r: SubjectRules, indent: string): string[] {
  const lines = [`${indent}${kind} = {`];
  for (const [key, subjects] of [
    ['allow', r.allow],
    ['deny', r.deny],
  ] as const) {
    if (subjects) lines.push(`${indent}  ${key} = [`, ...subjects.map((s) => `${indent}    ${q(s)}`), `${indent}  ]`);
  }
  lines.push(`${indent}}`);
  return lines;
}

function renderPermissions(p: RolePermissions, indent: string): string[] {
  return [
    ...rules('publish', p.publish, indent),
    ...rules('subscribe', p.subscribe, indent),
    ...(p.allowResponses ? [`${indent}allow_responses = true`] : []),
  ];
}

function renderUser(cluster: string, u: ServerUser): string {
  const who = 'nkey' in u ? `nkey: ${q(u.nkey)}` : `user: ${q(u.user)}, password: ${q(u.password)}`;
  return `    { ${who}, permissions: $${permissionsVariable(cluster, u.role)} }`;
}

/**
 * The `authorization` block: one permissions variable per role, then the users. Every client must authenticate;
 * nothing is granted to a connection without one of these identities.
 */
export function renderAuthorization(cluster: string, users: readonly ServerUser[]): string {
  const lines = ['authorization {'];
  for (const role of ROLES) {
    const p = permissionsFor(role, cluster);
    lines.push(`  ${permissionsVariable(cluster, role)} = {`, ...renderPermissions(p, '    '), '  }');
  }
  lines.push('  users = [', ...users.map((u) => renderUser(cluster, u)), '  ]', '}');
  return lines.join('\n');
}

/** Inside the `cluster { }` block: servers must present these to open a route. */
export function renderRouteAuthorization(route: RouteCredentials): string {
  return `authorization { user: ${q(route.user)}, password: ${q(route.password)} }`;
}

export function routeUrl(host: string, port: number, route: RouteCredentials | undefined): string {
  const auth = route ? `${encodeURIComponent(route.user)}:${encodeURIComponent(route.password)}@` : '';
  return `nats-route://${auth}${host}:${port}`;
}

export function renderTls(tls: ServerTls): string {
  const parts = [`cert_file: ${q(tls.certFile)}`, `key_file: ${q(tls.keyFile)}`];
  if (tls.verifyClientsCa) parts.push(`ca_file: ${q(tls.verifyClientsCa)}`, 'verify: true');
  return `tls { ${parts.join(', ')} }`;
}
