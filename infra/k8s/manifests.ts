// Renders a kustomization with `kubectl kustomize` and validates every object against the official Kubernetes
// OpenAPI schemas (kubernetes-models), and cert-manager's and the Prometheus Operator's CRD schemas for theirs.
// An object of a kind with no schema here is an error, never skipped.

import { spawnSync } from 'node:child_process';
import * as certManagerV1 from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import * as monitoringV1 from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

/** A rendered object: what every manifest has, the rest unknown until validated. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: object): { validate(): void };
}

const MODULES: readonly Record<string, unknown>[] = [
  coreV1,
  appsV1,
  policyV1,
  autoscalingV2,
  networkingV1,
  certManagerV1,
  monitoringV1,
];

/** apiVersion/kind → the model that validates it. */
const MODELS = new Map<string, ModelClass>();
for (const mod of MODULES) {
  for (const value of Object.values(mod)) {
    if (typeof value !== 'function') continue;
    const model = value as unknown as Partial<ModelClass>;
    if (model.apiVersion && model.kind) MODELS.set(`${model.apiVersion}/${model.kind}`, model as ModelClass);
  }
}

/** Why kubectl (with its kustomize) cannot render here, or undefined when it can. */
export function kubectlUnusable(): string | undefined {
  const run = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return 'kubectl is not installed (it brings kustomize; Debian 12 images have it)';
  return undefined;
}

/** `kubectl kustomize dir`, parsed. Throws with kustomize's message when it cannot build. */
export function renderKustomization(dir: string): K8sObject[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.error) throw new Error(`kubectl kustomize ${dir}: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr.trim()}`);
  return parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

export const describe = (o: Pick<K8sObject, 'kind' | 'metadata'>): string =>
  `${o.kind} ${o.metadata?.name ?? '(no name)'}`;

/** `/spec/containers/0/ports` → `spec.containers[0].ports` */
function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replaceAll('~1', '/').replaceAll('~0', '~')}`))
    .join('')
    .replace(/^\./, '');
}

interface SchemaError {
  readonly instancePath: string;
  readonly message?: string;
  readonly params?: { readonly missingProperty?: string };
}

/** One line per problem, each naming the object and the field: `StatefulSet resident: spec.replicas must be integer`. */
export function validateObject(o: K8sObject): string[] {
  const model = MODELS.get(`${o.apiVersion}/${o.kind}`);
  if (!model) return [`${describe(o)}: no schema for ${o.apiVersion} ${o.kind}`];
  try {
    new model(o).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: readonly SchemaError[] }).errors;
    if (!errors?.length) return [`${describe(o)}: ${err instanceof Error ? err.message : String(err)}`];
    return errors.map((e) => {
      const missing = e.params?.missingProperty;
      const path = fieldPath(e.instancePath + (missing ? `/${missing}` : ''));
      return `${describe(o)}: ${path || '(the object)'} ${missing ? 'is required' : e.message}`;
    });
  }
}

export function validateAll(objects: readonly K8sObject[]): string[] {
  return objects.flatMap(validateObject);
}
