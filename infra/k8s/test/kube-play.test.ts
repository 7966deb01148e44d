// The production overlay's node pod, run for real with `podman kube play`: the pod template rendered by kustomize,
// adapted only where podman 4.3 cannot take it (kube-play.ts, ADAPTATIONS), on the locally built image, against a
// 3-server NATS cluster on the host with the roles' permissions, nkey authentication and mutual TLS, with the
// Secrets the secrets tool generates. Two pods: each starts and turns ready with its own identity and public
// address, serves /metrics only with the token, and drains on stop (preStop, then SIGTERM): it hands its objects
// to the other, logs "stopped" and exits 0. Needs root, podman and kubectl; skipped with the reason otherwise.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
// The testing workspace depends on infra, so infra takes its certificate maker by path, in a test only.
import { createTestCertificates, type TestCertificates } from '../../../testing/tls-certs.ts';
import { ensureBase } from '../../image/base.ts';
import { buildImage } from '../../image/image.ts';
import { PODMAN_CONF_ENV, podman, podmanEnv, podmanUnusable } from '../../image/podman.ts';
import { type NatsCluster, startNatsCluster } from '../../nats/index.ts';
import { Child, freePorts, waitAllReady } from '../../process/index.ts';
import { exportedNames } from '../../test/dashboard.ts';
import { type PlayablePod, playablePod } from '../kube-play.ts';
import { clusterName, overlayDir } from '../layout.ts';
import { kubectlUnusable, renderKustomization } from '../manifests.ts';
import { generateSecrets } from '../secrets.ts';

const skip = podmanUnusable() ?? kubectlUnusable();
const IMAGE = 'localhost/resident-node:k8s-test';
const PREFIX = `k8s${process.pid}`;
const LOG_WAIT_MS = 10_000;

interface RunningPod {
  readonly name: string;
  readonly pod: PlayablePod;
  readonly url: string;
  readonly metricsUrl: string;
  readonly file: string;
  readonly lines: string[];
  readonly logs: Child;
}

/** The pod's first log line containing `text`: podman's log stream can trail the pod's own answers a little. */
async function logLine(pod: RunningPod, text: string): Promise<string> {
  for (let waited = 0; waited < LOG_WAIT_MS; waited += 100) {
    const line = pod.lines.find((l) => l.includes(text));
    if (line) return line;
    await sleep(100);
  }
  assert.fail(`${pod.name} never logged ${text}:\n${pod.lines.join('\n')}`);
}

/** Secret name → key → value, from the secrets tool's files and the client certificate cert-manager would issue. */
function secretsFrom(files: readonly string[], certs: TestCertificates): Map<string, Record<string, string>> {
  const secrets = new Map<string, Record<string, string>>();
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const s = doc.toJS() as { metadata: { name: string }; stringData: Record<string, string> };
      secrets.set(s.metadata.name, s.stringData);
    }
  }
  const read = (f: string) => readFileSync(f, 'utf8');
  secrets.set('resident-nats-client-tls', {
    'ca.crt': read(certs.caFile),
    'tls.crt': read(certs.clientCert),
    'tls.key': read(certs.clientKey),
  });
  return secrets;
}

describe('the node pod spec under podman kube play (production overlay)', {
  skip: skip ?? false,
  timeout: 30 * 60_000,
}, () => {
  let work: string;
  let certs: TestCertificates;
  let nats: NatsCluster;
  let play: (ordinal: number) => Promise<RunningPod>;
  const pods: RunningPod[] = [];

  before(async () => {
    const { image: base } = ensureBase();
    buildImage({ base, tag: IMAGE, stdio: 'ignore' });
    work = mkdtempSync(join(tmpdir(), 'resident-kube-play-'));
    certs = createTestCertificates();
    const cluster = clusterName();
    const generated = generateSecrets(work, cluster);
    const nodeKey = generated.credentials.users.find((u) => u.role === 'node')!;
    nats = await startNatsCluster({
      size: 3,
      auth: { cluster, users: [nodeKey] },
      tls: { certFile: certs.serverCert, keyFile: certs.serverKey, verifyClientsCa: certs.caFile },
    });
    const secrets = secretsFrom([generated.nodeSecretsFile], certs);
    const objects = renderKustomization(overlayDir('production'));
    play = async (ordinal) => {
      const name = `${PREFIX}-resident-${ordinal}`;
      const [port, metricsPort] = await freePorts(2);
      const pod = playablePod(objects, {
        podName: name,
        image: IMAGE,
        secrets,
        hostDir: work,
        config: {
          NATS_URL: nats.urls.join(','),
          PORT: String(port),
          RESIDENT_LISTEN: '127.0.0.1',
          RESIDENT_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
        },
      });
      const file = join(work, `${name}.yaml`);
      writeFileSync(file, pod.yaml);
      podman(['kube', 'play', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      const logs = new Child({
        name,
        command: 'podman',
        args: ['logs', '--follow', pod.container],
        env: PODMAN_CONF_ENV,
        onLine: (_stream, line) => lines.push(line),
      });
      const running = {
        name,
        pod,
        url: `http://127.0.0.1:${port}`,
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
        file,
        lines,
        logs,
      };
      pods.push(running);
      await waitAllReady([{ name, url: running.url, child: logs }]);
      return running;
    };
  });

  after(async () => {
    try {
      for (const p of pods) {
        spawnSync('podman', ['kube', 'down', p.file], { env: podmanEnv(), stdio: 'ignore' });
        if (p.logs.running) p.logs.signal('SIGKILL');
      }
    } finally {
      await nats?.close();
      certs?.remove();
      if (work) rmSync(work, { recursive: true, force: true });
    }
  });

  test('a pod starts, turns ready, and is the node its name says, at its own public address', async () => {
    const first = await play(0);
    const domain = first.pod.env.PUBLIC_DOMAIN;
    assert.equal(first.pod.env.NODE_ID, first.name);
    assert.equal(first.pod.env.PUBLIC_ADDRESS, `${first.name}.${domain}`);
    const line = JSON.parse(await logLine(first, '"msg":"listening on port')) as {
      node: string;
      publicAddress: string;
      mode: string;
    };
    assert.equal(line.node, first.name);
    assert.equal(line.publicAddress, `${first.name}.${domain}`);
    assert.match(line.mode, new RegExp(`cluster "${clusterName()}" on NATS`));
  });

  test('it runs as uid 10001 on a read-only root with no capabilities, and the file limit reaches Node', async () => {
    const [first] = pods;
    assert.ok(first, 'the first pod did not start');
    const exec = (...cmd: string[]) => podman(['exec', first.pod.container, ...cmd]);
    assert.equal(exec('id', '-u').trim(), '10001');
    assert.match(exec('grep', 'CapEff', '/proc/self/status'), /CapEff:\s+0+\n/);
    const write = spawnSync('podman', ['exec', first.pod.container, 'touch', '/app/x'], {
      env: podmanEnv(),
      encoding: 'utf8',
    });
    assert.match(write.stderr, /Read-only file system/);
    // The node (a child of tini, PID 1) raises its soft limit to the hard one; the runtime sets the hard one.
    const cmdline = exec('sh', '-c', 'grep -la "^node" /proc/[0-9]*/cmdline').split('\n')[0]!;
    const limits = exec('cat', cmdline.replace(/cmdline$/, 'limits'));
    assert.match(limits, /open files\s+(\d+)\s+\1\s/);
  });

  test('/metrics answers only with the token, and exports what the dashboards and the adapter query', async () => {
    const [first] = pods;
    assert.ok(first, 'the first pod did not start');
    assert.equal((await fetch(first.metricsUrl)).status, 401);
    const token = first.pod.env.RESIDENT_METRICS_TOKEN;
    const res = await fetch(first.metricsUrl, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const names = exportedNames(await res.text());
    for (const name of ['resident_users', 'resident_rooms', 'process_cpu_seconds_total'])
      assert.ok(names.has(name), name);
  });

  test('stopping a pod runs its preStop, drains it to the other node, logs "stopped" and exits 0', async (t) => {
    const [first] = pods;
    assert.ok(first, 'the first pod did not start');
    const second = await play(1);
    await waitAllReady(pods.map((p) => ({ name: p.name, url: p.url, child: p.logs })));
    assert.ok(second.pod.preStop, 'the pod template has no preStop');
    const started = performance.now();
    podman(['exec', second.pod.container, ...second.pod.preStop]);
    const drainFrom = performance.now();
    const budget = Math.ceil(second.pod.gracePeriodSeconds - (drainFrom - started) / 1000);
    podman(['pod', 'stop', '--time', String(budget), second.name]);
    const drainSeconds = (performance.now() - drainFrom) / 1000;
    await second.logs.exited;
    const exitCode = podman(['inspect', '--format', '{{.State.ExitCode}}', second.pod.container]).trim();
    assert.equal(exitCode, '0', second.lines.slice(-10).join('\n'));
    assert.ok(
      second.lines.some((l) => l.includes('"msg":"shutting down: disposing rooms, handing objects over"')),
      second.lines.slice(-10).join('\n'),
    );
    assert.ok(
      second.lines.some((l) => l.includes('"msg":"stopped"')),
      second.lines.slice(-10).join('\n'),
    );
    // Exit code 0 means it finished within the grace period: podman pod stop kills at the deadline (137).
    t.diagnostic(`drain of ${second.name} with ${first.name} up (SIGTERM → exit): ${drainSeconds.toFixed(1)} s`);
    // The survivor holds every shard now and keeps serving.
    await waitAllReady([{ name: first.name, url: first.url, child: first.logs }]);
  });
});
