// What ships under infra/k8s, checked offline: the generated files are current; every overlay (and the optional
// components, and the cert-manager folder) renders with `kubectl kustomize` and every object passes the official
// schemas; a broken object fails naming the object and the field; the pieces refer to each other correctly
// (Secrets and their keys, routes for every ordinal the HPA can reach, selectors, mounted paths); and nats-server
// accepts the authorization the NATS chart renders from our values.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import type { IStatefulSet } from 'kubernetes-models/apps/v1';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { generatedFiles } from '../generated.ts';
import { expandVars, podEnvironment } from '../kube-play.ts';
import {
  clusterName,
  K8S_DIR,
  MAX_NODES,
  NATS_VALUES_FILE,
  OVERLAYS,
  overlayDir,
  readEnvFile,
  SECRETS,
} from '../layout.ts';
import { type K8sObject, kubectlUnusable, renderKustomization, validateAll, validateObject } from '../manifests.ts';
import { LOBBY_HOST, podName } from '../routes.ts';
import { generateSecrets } from '../secrets.ts';

const noKubectl = kubectlUnusable() ?? false;
const scratch = mkdtempSync(join(tmpdir(), 'resident-k8s-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const secretsDir = join(scratch, 'secrets');
mkdirSync(secretsDir);
const generated = generateSecrets(secretsDir, clusterName());
const docsOf = (file: string) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as K8sObject);

/** A kustomization in the scratch folder over `resources` and `components` (paths under infra/k8s). */
function kustomization(name: string, body: Record<string, unknown>): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  const rel = (paths: unknown) => (paths as string[] | undefined)?.map((p) => relative(dir, join(K8S_DIR, p)));
  const doc: Record<string, unknown> = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    ...body,
  };
  if (body.resources) doc.resources = rel(body.resources);
  if (body.components) doc.components = rel(body.components);
  writeFileSync(join(dir, 'kustomization.yaml'), JSON.stringify(doc));
  return dir;
}

const one = (objects: readonly K8sObject[], kind: string, name?: string): K8sObject => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0]!;
};
const podSpecOf = (objects: readonly K8sObject[]): IPodSpec =>
  (one(objects, 'StatefulSet') as unknown as IStatefulSet).spec!.template.spec!;
const nodeContainer = (objects: readonly K8sObject[]): IContainer => podSpecOf(objects).containers[0]!;

test('the generated files are what render.ts makes (NATS values from shared/nats, per-pod routes)', () => {
  for (const file of generatedFiles())
    assert.equal(readFileSync(file.path, 'utf8'), file.text, `${file.path}: run npm run k8s:render -w infra`);
});

test('render.ts --check names a stale generated file and exits 1', () => {
  const values = readFileSync(NATS_VALUES_FILE, 'utf8');
  try {
    writeFileSync(NATS_VALUES_FILE, `${values}# edited by hand\n`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(K8S_DIR, 'render.ts'), '--check'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 1);
    assert.equal(run.stderr.trim(), `k8s:render: ${NATS_VALUES_FILE} is stale`);
  } finally {
    writeFileSync(NATS_VALUES_FILE, values);
  }
});

test('the secrets tool writes valid Secrets with every key the manifests use, seeds owner-only', () => {
  const secrets = [...docsOf(generated.nodeSecretsFile), ...docsOf(generated.natsUsersFile)];
  assert.deepEqual(validateAll(secrets), []);
  for (const { name, keys } of Object.values(SECRETS)) {
    const s = one(secrets, 'Secret', name) as unknown as { stringData: Record<string, string> };
    assert.deepEqual(Object.keys(s.stringData).sort(), [...keys].sort(), name);
  }
  for (const file of [generated.nodeSecretsFile, generated.natsUsersFile, generated.routePasswordFile])
    assert.equal(spawnSync('stat', ['-c', '%a', file], { encoding: 'utf8' }).stdout.trim(), '600', file);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(K8S_DIR, 'secrets-main.ts')], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^k8s:secrets: --out DIR is required\n/);
});

test('an env file line that is not KEY=value is refused, naming the file and the line', () => {
  const file = join(scratch, 'bad.env');
  writeFileSync(file, 'RESIDENT_CLUSTER=a\nnot a setting\n');
  assert.throws(() => readEnvFile(file), { message: `${file}: not KEY=value: "not a setting"` });
});

describe('rendered with kubectl kustomize', { skip: noKubectl }, () => {
  const rendered = new Map(OVERLAYS.map((o) => [o, renderKustomization(overlayDir(o))]));
  const node = (o: (typeof OVERLAYS)[number]) => rendered.get(o)!;

  test('every object of every overlay, the optional components and the cert-manager folder passes its schema', () => {
    const withComponents = kustomization('with-components', {
      namespace: 'resident',
      resources: ['overlays/production'],
      components: ['components/service-monitor', 'components/scale-on-users'],
    });
    const all = renderKustomization(withComponents);
    assert.ok(all.some((o) => o.kind === 'ServiceMonitor'));
    const hpa = one(all, 'HorizontalPodAutoscaler') as unknown as { spec: { metrics: { pods?: unknown }[] } };
    assert.deepEqual(
      hpa.spec.metrics.map((m) => Object.keys(m).find((k) => k !== 'type')),
      ['resource', 'pods'],
    );
    for (const [name, objects] of [
      ...rendered,
      ['with-components', all],
      ['cert-manager', renderKustomization(join(K8S_DIR, 'cert-manager'))],
    ] as const) {
      assert.ok(objects.length > 0, name);
      assert.deepEqual(validateAll(objects), [], name);
    }
  });

  test('a broken object fails naming the object and the field', () => {
    const broken = kustomization('broken', {
      resources: ['overlays/production'],
      patches: [
        {
          target: { kind: 'StatefulSet', name: 'resident' },
          patch: JSON.stringify([
            { op: 'replace', path: '/spec/template/spec/containers/0/ports/0/containerPort', value: 'http' },
            { op: 'add', path: '/spec/template/spec/containers/0/readinesProbe', value: { periodSeconds: 2 } },
          ]),
        },
        {
          target: { kind: 'Service', name: 'resident' },
          patch: JSON.stringify([{ op: 'remove', path: '/spec/ports/0/port' }]),
        },
      ],
    });
    const problems = validateAll(renderKustomization(broken));
    assert.deepEqual(problems, [
      'Service resident: spec.ports[0].port is required',
      'StatefulSet resident: spec.template.spec.containers[0].ports[0].containerPort must be integer',
      'StatefulSet resident: spec.template.spec.containers[0].readinesProbe is an unknown field',
    ]);
    const unknown = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    assert.deepEqual(validateObject(unknown), ['Widget w: no schema for example.com/v1 Widget']);
  });

  test('every Secret the pods use is one the secrets tool writes or a Certificate issues, with those keys', () => {
    const certificateKeys = ['tls.crt', 'tls.key', 'ca.crt'];
    for (const [overlay, objects] of rendered) {
      const issued = objects
        .filter((o) => o.kind === 'Certificate')
        .map((c) => (c.spec as { secretName: string }).secretName);
      const keysOf = (name: string): readonly string[] | undefined =>
        Object.values(SECRETS).find((s) => s.name === name)?.keys ??
        (issued.includes(name) ? certificateKeys : undefined);
      const spec = podSpecOf(objects);
      for (const v of nodeContainer(objects).env ?? []) {
        const ref = v.valueFrom?.secretKeyRef;
        if (ref)
          assert.ok(
            keysOf(ref.name!)?.includes(ref.key),
            `${overlay}: env ${v.name} → Secret ${ref.name} key ${ref.key}`,
          );
      }
      for (const vol of spec.volumes ?? []) {
        const s = vol.secret;
        if (!s) continue;
        const keys = keysOf(s.secretName!);
        assert.ok(keys, `${overlay}: volume ${vol.name} → Secret ${s.secretName}`);
        for (const item of s.items ?? [])
          assert.ok(keys.includes(item.key), `${overlay}: ${s.secretName} key ${item.key}`);
      }
    }
  });

  test('every file setting points into a mounted volume, and production reaches NATS over mutual TLS', () => {
    for (const [overlay, objects] of rendered) {
      const config = one(objects, 'ConfigMap').data as Record<string, string>;
      assert.equal(config.RESIDENT_CLUSTER, clusterName(), `${overlay}: the cluster the NATS values were rendered for`);
      const mounts = nodeContainer(objects).volumeMounts ?? [];
      for (const key of ['NATS_NKEY', 'NATS_TLS_CA', 'NATS_TLS_CERT', 'NATS_TLS_KEY']) {
        const path = config[key];
        if (path === undefined) continue;
        assert.ok(
          mounts.some((m) => path.startsWith(`${m.mountPath}/`)),
          `${overlay}: ${key}=${path} is not mounted`,
        );
      }
    }
    const production = one(node('production'), 'ConfigMap').data as Record<string, string>;
    assert.match(production.NATS_URL!, /^tls:\/\//);
    for (const key of ['NATS_TLS_CA', 'NATS_TLS_CERT', 'NATS_TLS_KEY']) assert.ok(production[key], key);
  });

  test('each ordinal the HPA can reach has its Service and Ingress host, at the PUBLIC_ADDRESS the pod derives', () => {
    for (const [overlay, objects] of rendered) {
      const hpa = one(objects, 'HorizontalPodAutoscaler').spec as { maxReplicas: number };
      assert.ok(hpa.maxReplicas <= MAX_NODES, `${overlay}: maxReplicas ${hpa.maxReplicas} > ${MAX_NODES} routes`);
      const domain = (one(objects, 'ConfigMap').data as Record<string, string>).PUBLIC_DOMAIN!;
      const ingress = one(objects, 'Ingress').spec as {
        rules: { host: string; http: { paths: { backend: { service: { name: string } } }[] } }[];
      };
      const routeOf = (host: string) => ingress.rules.find((r) => r.host === host)?.http.paths[0]?.backend.service.name;
      assert.equal(routeOf(`${LOBBY_HOST}.${domain}`), 'resident', `${overlay}: the lobby host`);
      for (let i = 0; i < hpa.maxReplicas; i++) {
        const name = podName(i);
        const env = podEnvironment(objects, { podName: name, config: {}, secrets: fakeSecrets });
        assert.equal(env.PUBLIC_ADDRESS, `${name}.${domain}`, `${overlay}: ${name}'s PUBLIC_ADDRESS`);
        assert.equal(
          routeOf(env.PUBLIC_ADDRESS),
          name,
          `${overlay}: no Ingress host ${env.PUBLIC_ADDRESS} → Service ${name}`,
        );
        const service = one(objects, 'Service', name).spec as { selector: Record<string, string> };
        assert.deepEqual(
          service.selector,
          { 'statefulset.kubernetes.io/pod-name': name },
          `${overlay}: Service ${name}`,
        );
      }
    }
  });

  test('the Services, the PDB and the HPA select the StatefulSet, whose pods drain within their grace period', () => {
    for (const [overlay, objects] of rendered) {
      const sts = one(objects, 'StatefulSet') as unknown as IStatefulSet;
      const labels = sts.spec!.template.metadata!.labels!;
      const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
      for (const name of ['resident', 'resident-headless'])
        assert.ok(
          matches((one(objects, 'Service', name).spec as { selector: Record<string, string> }).selector),
          `${overlay}: ${name}`,
        );
      assert.ok(
        matches(
          (one(objects, 'PodDisruptionBudget').spec as { selector: { matchLabels: Record<string, string> } }).selector
            .matchLabels,
        ),
      );
      assert.equal(
        (one(objects, 'HorizontalPodAutoscaler').spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name,
        sts.metadata!.name,
      );
      assert.equal(sts.spec!.serviceName, 'resident-headless');
      const spec = sts.spec!.template.spec!;
      const preStop = nodeContainer(objects).lifecycle?.preStop?.exec?.command ?? [];
      assert.deepEqual(preStop.slice(0, 1), ['sleep'], `${overlay}: preStop`);
      assert.ok(spec.terminationGracePeriodSeconds! > Number(preStop[1]) + 30, `${overlay}: grace period`);
    }
  });

  test('a Secret the pod needs but was not given is named with its key', () => {
    const objects = node('production');
    assert.throws(() => podEnvironment(objects, { podName: 'p', config: {}, secrets: new Map() }), {
      message: 'kube-play: the pod needs Secret resident-secrets key auth-secret, which was not given',
    });
  });
});

test("$(VAR) references expand as the kubelet's do", () => {
  const defined = { POD_NAME: 'resident-0', PUBLIC_DOMAIN: 'example.com' };
  assert.equal(expandVars('$(POD_NAME).$(PUBLIC_DOMAIN)', defined), 'resident-0.example.com');
  assert.equal(expandVars('$(UNSET)-$$(POD_NAME)-$$', defined), '$(UNSET)-$(POD_NAME)-$');
});

/** Every Secret the pods may mount, with placeholder values: enough to compute a pod's environment. */
const fakeSecrets = new Map(
  [
    ...Object.values(SECRETS).map((s) => [s.name, s.keys]),
    ['resident-nats-client-tls', ['tls.crt', 'tls.key', 'ca.crt']],
  ].map(([name, keys]) => [name as string, Object.fromEntries((keys as readonly string[]).map((k) => [k, 'x']))]),
);
