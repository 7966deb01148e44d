// The node's pod, taken from the rendered StatefulSet's pod template, made playable by `podman kube play` (4.3) on
// this machine. Each change is the least podman needs, and each is listed in ADAPTATIONS (and infra/k8s/README.md);
// everything else (security context, read-only root, dropped capabilities, envFrom, fieldRef, emptyDir, resources)
// is played as rendered.

import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { IStatefulSet } from 'kubernetes-models/apps/v1';
import type { IContainer, IEnvVar, IPodSpec, IVolume } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { STATEFUL_SET } from './layout.ts';
import { describe, type K8sObject } from './models.ts';

export const ADAPTATIONS = [
  'StatefulSet → one Pod per ordinal (kube play has no StatefulSet), with the pod-name label the StatefulSet adds',
  'image → the locally built one',
  'hostNetwork, and per-pod ports and listen addresses in the ConfigMap: NATS runs on the host loopback, and two pods share it',
  'containerPorts dropped (informational in Kubernetes; podman refuses port mappings on the host network)',
  'NATS_URL → the host nats-servers',
  '$(VAR) references expanded as the kubelet does (podman 4.3 leaves them literal)',
  'secretKeyRef variables → their values (podman 4.3 wants JSON secret data)',
  'Secret volumes → host folders with the same files, mode and group (podman 4.3 panics on one without `optional` and mounts it empty)',
  'preStop → run by the test with podman exec (podman runs no lifecycle hooks); terminationGracePeriodSeconds → podman pod stop --time (kube play keeps 10 s)',
  'probes → the test polls /ready itself (podman schedules health checks with systemd, absent here)',
] as const;

export interface PlayOptions {
  readonly podName: string;
  readonly image: string;
  /** ConfigMap values set for this machine: NATS_URL, PORT, listen addresses. */
  readonly config: Readonly<Record<string, string>>;
  /** Secret name → key → value: what the cluster would inject or mount. */
  readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Where the Secret volumes' files are written (one folder per volume). */
  readonly hostDir: string;
}

export interface PlayablePod {
  /** The ConfigMap and the Pod, for `podman kube play`. */
  readonly yaml: string;
  /** podman's name for the node container. */
  readonly container: string;
  readonly gracePeriodSeconds: number;
  readonly preStop: readonly string[] | undefined;
  /** The container's environment as the kubelet would compute it (ConfigMap, then env in order). */
  readonly env: Readonly<Record<string, string>>;
}

type Secrets = PlayOptions['secrets'];

function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`kube-play: the rendered manifests have no ${kind} ${name}`);
  return found;
}

function secretValue(secrets: Secrets, name: string, key: string): string {
  const value = secrets.get(name)?.[key];
  if (value === undefined) throw new Error(`kube-play: the pod needs Secret ${name} key ${key}, which was not given`);
  return value;
}

/** The kubelet's `$(VAR)` expansion: known variables are replaced, unknown ones kept, `$$` is a literal `$`. */
export function expandVars(value: string, defined: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name?: string) =>
    name === undefined ? '$' : (defined[name] ?? match),
  );
}

/** The container's variables, in the kubelet's order, with secrets and `$(VAR)`s resolved; fieldRefs kept. */
function resolveEnv(
  env: readonly IEnvVar[],
  config: Readonly<Record<string, string>>,
  opts: EnvOptions,
): { env: IEnvVar[]; values: Record<string, string> } {
  const values: Record<string, string> = { ...config };
  const out: IEnvVar[] = [];
  for (const v of env) {
    const from = v.valueFrom;
    if (from?.fieldRef) {
      if (from.fieldRef.fieldPath !== 'metadata.name') throw new Error(`kube-play: ${v.name}: unsupported fieldRef`);
      values[v.name] = opts.podName;
      out.push(v);
    } else if (from?.secretKeyRef) {
      values[v.name] = secretValue(opts.secrets, from.secretKeyRef.name!, from.secretKeyRef.key);
      out.push({ name: v.name, value: values[v.name] });
    } else if (from) {
      throw new Error(`kube-play: ${v.name}: unsupported valueFrom ${Object.keys(from).join(', ')}`);
    } else {
      values[v.name] = expandVars(v.value ?? '', values);
      out.push({ name: v.name, value: values[v.name] });
    }
  }
  return { env: out, values };
}

/** A Secret volume as files in a host folder, owned and readable as the kubelet would make them (fsGroup, mode). */
function secretFolder(volume: IVolume, opts: PlayOptions, fsGroup: number): IVolume {
  const source = volume.secret!;
  const dir = join(opts.hostDir, opts.podName, volume.name);
  const data = opts.secrets.get(source.secretName!);
  if (!data) throw new Error(`kube-play: volume ${volume.name} needs Secret ${source.secretName}, which was not given`);
  const items: { key: string; path: string; mode?: number }[] =
    source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  chownSync(dir, 0, fsGroup);
  for (const item of items) {
    const file = join(dir, item.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, secretValue(opts.secrets, source.secretName!, item.key), {
      mode: item.mode ?? source.defaultMode ?? 0o644,
    });
    chownSync(file, 0, fsGroup);
  }
  return { name: volume.name, hostPath: { path: dir, type: 'Directory' } };
}

function nodeContainer(spec: IPodSpec): IContainer {
  if (spec.containers.length !== 1) throw new Error('kube-play: the node pod should have exactly one container');
  return spec.containers[0]!;
}

type EnvOptions = Pick<PlayOptions, 'podName' | 'config' | 'secrets'>;

interface Resolved {
  readonly template: NonNullable<IStatefulSet['spec']>['template'];
  readonly spec: IPodSpec;
  readonly container: IContainer;
  readonly configName: string;
  readonly config: Record<string, string>;
  readonly env: IEnvVar[];
  readonly values: Record<string, string>;
}

function resolve(objects: readonly K8sObject[], opts: EnvOptions): Resolved {
  const sts = find(objects, 'StatefulSet', STATEFUL_SET) as unknown as IStatefulSet & K8sObject;
  const template = sts.spec!.template;
  const spec = structuredClone(template.spec!) as IPodSpec;
  const container = nodeContainer(spec);
  const configName = container.envFrom?.find((e) => e.configMapRef)?.configMapRef?.name;
  if (!configName) throw new Error(`kube-play: ${describe(sts)} reads no ConfigMap`);
  const configMap = find(objects, 'ConfigMap', configName);
  const config = { ...(configMap.data as Record<string, string>), ...opts.config };
  return { template, spec, container, configName, config, ...resolveEnv(container.env ?? [], config, opts) };
}

/** The environment pod `podName` of the rendered StatefulSet gets, as the kubelet computes it. */
export function podEnvironment(objects: readonly K8sObject[], opts: EnvOptions): Readonly<Record<string, string>> {
  return resolve(objects, opts).values;
}

export function playablePod(objects: readonly K8sObject[], opts: PlayOptions): PlayablePod {
  const { template, spec, container, configName, config, env, values } = resolve(objects, opts);
  container.env = env;
  container.image = opts.image;
  delete container.ports;
  const fsGroup = spec.securityContext?.fsGroup ?? 0;
  spec.volumes = (spec.volumes ?? []).map((v) => (v.secret ? secretFolder(v, opts, fsGroup) : v));
  spec.hostNetwork = true;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: opts.podName,
      labels: { ...template.metadata?.labels, 'statefulset.kubernetes.io/pod-name': opts.podName },
    },
    spec,
  };
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configName }, data: config };
  return {
    yaml: [cm, pod].map((doc) => stringify(doc, { aliasDuplicateObjects: false })).join('---\n'),
    container: `${opts.podName}-${container.name}`,
    gracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
    preStop: container.lifecycle?.preStop?.exec?.command,
    env: values,
  };
}
