// The Secrets a deployment needs, generated into a folder for the operator to apply (never committed): one nkey
// per NATS role (the nodes' seed for the nodes' namespace, every role's public key for NATS's), the guest-token
// secret the nodes share (their membership key is derived from it), the metrics token, and the route password
// for the NATS chart. Seeds and secrets are written owner-only.

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalCredentials, type LocalCredentials } from '@resident/shared/nats';
import { stringify } from 'yaml';
import { SECRETS } from './layout.ts';

export interface GeneratedSecrets {
  /** Apply in the nodes' namespace: resident-secrets and resident-nats-node. */
  readonly nodeSecretsFile: string;
  /** Apply in NATS's namespace: resident-nats-users. */
  readonly natsUsersFile: string;
  /** For `helm install … --set-string config.cluster.routeURLs.password=$(cat FILE)`. */
  readonly routePasswordFile: string;
  readonly credentials: LocalCredentials;
}

const secret = (name: string, stringData: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  type: 'Opaque',
  stringData,
});

const write = (path: string, text: string) => writeFileSync(path, text, { mode: 0o600 });

export function generateSecrets(dir: string, cluster: string): GeneratedSecrets {
  const credentials = createLocalCredentials(dir, cluster);
  const publicKey = Object.fromEntries(credentials.users.map((u) => [u.role, 'nkey' in u ? u.nkey : '']));
  const nodeSecretsFile = join(dir, 'node-secrets.yaml');
  const natsUsersFile = join(dir, 'nats-users.yaml');
  const routePasswordFile = join(dir, 'route-password');
  const nodeSecrets = [
    secret(SECRETS.node.name, {
      'auth-secret': randomBytes(32).toString('base64url'),
      'metrics-token': randomBytes(24).toString('base64url'),
    }),
    secret(SECRETS.natsNode.name, { 'node.nk': readFileSync(credentials.seedFiles.node, 'utf8') }),
  ];
  write(nodeSecretsFile, nodeSecrets.map((s) => stringify(s)).join('---\n'));
  write(natsUsersFile, stringify(secret(SECRETS.natsUsers.name, publicKey)));
  write(routePasswordFile, credentials.route.password);
  return { nodeSecretsFile, natsUsersFile, routePasswordFile, credentials };
}
