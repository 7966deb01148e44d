// Values for the official NATS Helm chart (nats-io/k8s, chart `nats` 1.x): a cluster of 3 with JetStream on PVCs,
// and every role's permissions for the nodes' cluster, taken from shared/nats, never copied. Each role's public
// nkey comes from the Secret resident-nats-users through the container's environment (`<< $VAR >>` is the chart's
// way to write an unquoted config value, here a nats-server variable reference).

import { permissionsFor, ROLES, type Role, type RolePermissions } from '@resident/shared/nats';
import { SECRETS } from './layout.ts';

export const nkeyVariable = (role: Role): string => `RESIDENT_${role.toUpperCase()}_NKEY`;

/** nats-server's permissions block for a role, as the chart renders config values (snake_case keys). */
function permissionsBlock(p: RolePermissions): Record<string, unknown> {
  const block: Record<string, unknown> = { publish: { ...p.publish }, subscribe: { ...p.subscribe } };
  if (p.allowResponses) block.allow_responses = true;
  return block;
}

export function natsValues(cluster: string): Record<string, unknown> {
  return {
    config: {
      cluster: { enabled: true, replicas: 3 },
      jetstream: {
        enabled: true,
        fileStore: { enabled: true, dir: '/data', pvc: { enabled: true, size: '10Gi' } },
        memoryStore: { enabled: false },
      },
      // The chart's health probes (startup /healthz, readiness js-server-only, liveness js-enabled-only) need it.
      monitor: { enabled: true },
      merge: {
        authorization: {
          users: ROLES.map((role) => ({
            nkey: `<< $${nkeyVariable(role)} >>`,
            permissions: permissionsBlock(permissionsFor(role, cluster)),
          })),
        },
      },
    },
    container: {
      env: {
        ...Object.fromEntries(
          ROLES.map((role) => [
            nkeyVariable(role),
            { valueFrom: { secretKeyRef: { name: SECRETS.natsUsers.name, key: role } } },
          ]),
        ),
        GOMEMLIMIT: '1800MiB',
      },
      // Not measured here: a starting point for the four small KV buckets; GOMEMLIMIT keeps Go's heap inside it.
      merge: { resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } } },
    },
    podTemplate: {
      topologySpreadConstraints: {
        'kubernetes.io/hostname': { maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' },
      },
      // The chart's preStop puts the server in lame-duck mode (lame_duck_duration 30 s, grace 10 s): clients move
      // to the other servers before it stops. The pod must be given longer than that.
      merge: { spec: { terminationGracePeriodSeconds: 60 } },
    },
    podDisruptionBudget: { enabled: true },
    // nats-box would need a credential of its own; tooling uses the metrics role's nkey (docs/NATS-SECURITY.md).
    natsBox: { enabled: false },
  };
}

/**
 * The chart's rendering of a config `merge` block into nats.conf: JSON, with `<< … >>` strings unquoted. Used by the
 * test to run the rendered authorization through `nats-server -t`.
 */
export function chartConf(merge: unknown): string {
  return JSON.stringify(merge, null, 2).replace(/"<< (.*?) >>"/g, '$1');
}
