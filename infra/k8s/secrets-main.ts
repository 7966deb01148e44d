// `npm run k8s:secrets -w infra -- --out DIR`: writes a deployment's Secrets into DIR (see secrets.ts).

import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { clusterName } from './layout.ts';
import { generateSecrets } from './secrets.ts';

const USAGE = 'usage: npm run k8s:secrets -w infra -- --out DIR   (a new, private folder; nothing there is committed)';

try {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  if (!values.out) throw new Error('--out DIR is required');
  mkdirSync(values.out, { recursive: true, mode: 0o700 });
  const s = generateSecrets(values.out, clusterName());
  console.log(`kubectl -n nats apply -f ${s.natsUsersFile}
kubectl -n resident apply -f ${s.nodeSecretsFile}
route password for the NATS chart: ${s.routePasswordFile}
tooling nkeys (loadgen, metrics roles): ${s.credentials.seedFiles.loadgen} ${s.credentials.seedFiles.metrics}`);
} catch (err) {
  console.error(`k8s:secrets: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(2);
}
