// Renders a kustomization with `kubectl kustomize` and validates every object against its schema (models.ts), then
// looks for fields no schema knows (strict-fields.ts). An object of a kind with no schema is an error, never skipped.

import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { describe, type K8sObject, modelOf } from './models.ts';
import { unknownFields } from './strict-fields.ts';

export { describe, type K8sObject } from './models.ts';

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
  const model = modelOf(o);
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

/** Schema problems of every object, then the fields no schema knows. */
export function validateAll(objects: readonly K8sObject[]): string[] {
  return [...objects.flatMap(validateObject), ...unknownFields(objects)];
}
