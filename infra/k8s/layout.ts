// Where the Kubernetes files are and the names they share: what the generators, the secrets tool and the tests
// agree on. The cluster name is read from the base ConfigMap's source, so it is set in one place.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const K8S_DIR = fileURLToPath(new URL('./', import.meta.url));
export const OVERLAYS = ['dev', 'production'] as const;
export type Overlay = (typeof OVERLAYS)[number];

export const overlayDir = (overlay: Overlay): string =>
  fileURLToPath(new URL(`./overlays/${overlay}`, import.meta.url));
export const CONFIG_ENV = fileURLToPath(new URL('./base/config.env', import.meta.url));
export const ROUTES_FILE = fileURLToPath(new URL('./base/routes.yaml', import.meta.url));
export const NATS_VALUES_FILE = fileURLToPath(new URL('./nats/values.yaml', import.meta.url));

/** Per-pod Services and Ingress rules are rendered for ordinals 0..MAX_NODES-1: the HPA's ceiling. */
export const MAX_NODES = 12;
export const STATEFUL_SET = 'resident';

/** The Secrets the manifests and the NATS values refer to, and their keys. */
export const SECRETS = {
  /** Namespace of the nodes: the guest-token secret (also the membership key's source) and the metrics token. */
  node: { name: 'resident-secrets', keys: ['auth-secret', 'metrics-token'] },
  /** Namespace of the nodes: the node role's nkey seed, mounted as a file (NATS_NKEY). */
  natsNode: { name: 'resident-nats-node', keys: ['node.nk'] },
  /** Namespace of NATS: each role's public nkey, read by nats-server from its environment. */
  natsUsers: { name: 'resident-nats-users', keys: ['node', 'loadgen', 'metrics'] },
} as const;

/** The KEY=value lines of an env file (kustomize's configMapGenerator `envs`). */
export function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (eq < 1) throw new Error(`${path}: not KEY=value: ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** The nodes' --cluster, which names their NATS subjects and buckets (and so the NATS permissions). */
export function clusterName(): string {
  const cluster = readEnvFile(CONFIG_ENV).RESIDENT_CLUSTER;
  if (!cluster) throw new Error(`${CONFIG_ENV}: RESIDENT_CLUSTER is not set`);
  return cluster;
}
