// The NATS chart's values (nats-io/k8s, helm/charts/nats, 1.x), as far as this project sets them: the key tree of
// the chart's values.yaml, transcribed from it and from the chart's Go tests (tlsCA, config.cluster.routeURLs,
// podTemplate.topologySpreadConstraints, podDisruptionBudget). The chart ships no values.schema.json and helm cannot
// run here, so this is what our values files are checked against. `ANY` marks a map the chart passes through
// (merge blocks, env maps), `true` a value.

export const ANY = 'any' as const;
export type KeyTree = { readonly [key: string]: KeyTree | true | typeof ANY };

const TLS: KeyTree = {
  enabled: true,
  secretName: true,
  dir: true,
  cert: true,
  key: true,
  ca: true,
  merge: ANY,
  patch: ANY,
};
const EXTENSION: KeyTree = { merge: ANY, patch: ANY, name: true };
const IMAGE: KeyTree = { repository: true, tag: true, pullPolicy: true, registry: true, fullImageName: true };

export const NATS_CHART_VALUES: KeyTree = {
  global: { image: { pullPolicy: true, pullSecretNames: true, registry: true }, labels: ANY },
  nameOverride: true,
  fullnameOverride: true,
  namespaceOverride: true,
  tlsCA: { enabled: true, configMapName: true, secretName: true, dir: true, key: true },
  config: {
    cluster: {
      enabled: true,
      port: true,
      replicas: true,
      noAdvertise: true,
      routeURLs: { user: true, password: true, useFQDN: true, k8sClusterDomain: true },
      tls: TLS,
      merge: ANY,
      patch: ANY,
    },
    jetstream: {
      enabled: true,
      fileStore: {
        enabled: true,
        dir: true,
        pvc: { enabled: true, size: true, storageClassName: true, ...EXTENSION },
        maxSize: true,
      },
      memoryStore: { enabled: true, maxSize: true },
      merge: ANY,
      patch: ANY,
    },
    nats: { port: true, tls: TLS },
    monitor: { enabled: true, port: true, tls: { enabled: true } },
    profiling: { enabled: true, port: true },
    serverNamePrefix: true,
    merge: ANY,
    patch: ANY,
  },
  container: { image: IMAGE, ports: ANY, env: ANY, merge: ANY, patch: ANY },
  reloader: { enabled: true, image: IMAGE, env: ANY, natsVolumeMountPrefixes: true, merge: ANY, patch: ANY },
  promExporter: {
    enabled: true,
    image: IMAGE,
    port: true,
    env: ANY,
    merge: ANY,
    patch: ANY,
    podMonitor: { enabled: true, ...EXTENSION },
  },
  service: { enabled: true, ports: ANY, ...EXTENSION },
  statefulSet: EXTENSION,
  podTemplate: { configChecksumAnnotation: true, topologySpreadConstraints: ANY, merge: ANY, patch: ANY },
  headlessService: EXTENSION,
  configMap: EXTENSION,
  podDisruptionBudget: { enabled: true, ...EXTENSION },
  serviceAccount: { enabled: true, ...EXTENSION },
  natsBox: {
    enabled: true,
    contexts: ANY,
    defaultContextName: true,
    container: ANY,
    podTemplate: ANY,
    deployment: ANY,
  },
  extraResources: ANY,
};

/** Every key path of `values` the tree does not have, e.g. `config.jetstream.fileStorage`. */
export function unknownKeys(values: unknown, tree: KeyTree = NATS_CHART_VALUES, path = ''): string[] {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return [];
  return Object.entries(values).flatMap(([key, value]) => {
    const at = path ? `${path}.${key}` : key;
    const node = tree[key];
    if (node === undefined) return [at];
    if (node === ANY || node === true) return [];
    return unknownKeys(value, node, at);
  });
}
