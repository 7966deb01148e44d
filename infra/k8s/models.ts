// The kinds this project ships and the models that know their schemas: the official Kubernetes OpenAPI schemas
// (kubernetes-models), cert-manager's and the Prometheus Operator's CRD schemas.

import * as certManagerV1 from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import * as monitoringV1 from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';

/** A rendered object: what every manifest has, the rest unknown until validated. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

export interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: object): { validate(): void };
}

/** The model modules, by the specifier their types are imported from (strict-fields.ts checks against those). */
const GROUPS: readonly { readonly specifier: string; readonly exports: Record<string, unknown> }[] = [
  { specifier: 'kubernetes-models/v1', exports: coreV1 },
  { specifier: 'kubernetes-models/apps/v1', exports: appsV1 },
  { specifier: 'kubernetes-models/policy/v1', exports: policyV1 },
  { specifier: 'kubernetes-models/autoscaling/v2', exports: autoscalingV2 },
  { specifier: 'kubernetes-models/networking.k8s.io/v1', exports: networkingV1 },
  { specifier: '@kubernetes-models/cert-manager/cert-manager.io/v1', exports: certManagerV1 },
  { specifier: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1', exports: monitoringV1 },
];

/** apiVersion/kind → the model that validates it, and the module its type `I<kind>` comes from. */
const MODELS = new Map<string, { readonly model: ModelClass; readonly specifier: string }>();
for (const { specifier, exports } of GROUPS) {
  for (const value of Object.values(exports)) {
    if (typeof value !== 'function') continue;
    const model = value as unknown as Partial<ModelClass>;
    if (model.apiVersion && model.kind)
      MODELS.set(`${model.apiVersion}/${model.kind}`, { model: model as ModelClass, specifier });
  }
}

const entryOf = (o: Pick<K8sObject, 'apiVersion' | 'kind'>) => MODELS.get(`${o.apiVersion}/${o.kind}`);

/** The model that validates an object's kind, if there is one. */
export const modelOf = (o: Pick<K8sObject, 'apiVersion' | 'kind'>): ModelClass | undefined => entryOf(o)?.model;

/** Where the type `I<kind>` of an object's kind is exported, if there is a model for it. */
export const typeModuleOf = (o: Pick<K8sObject, 'apiVersion' | 'kind'>): string | undefined => entryOf(o)?.specifier;

export const describe = (o: Pick<K8sObject, 'kind' | 'metadata'>): string =>
  `${o.kind} ${o.metadata?.name ?? '(no name)'}`;
