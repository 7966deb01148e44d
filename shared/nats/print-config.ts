// `npm run nats:config -- --cluster NAME [--nkeys DIR] [--nsc]`: prints the nats-server authorization block with
// every role's permissions for that cluster (what docs/NATS-SECURITY.md shows), or the nsc equivalent.

import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLocalCredentials } from './local-credentials.ts';
import { renderNscCommands } from './nsc.ts';
import { ROLES } from './roles.ts';
import { PLACEHOLDER_USERS, renderAuthorization } from './server-config.ts';
import { CLUSTER_NAME } from './subjects.ts';

const USAGE = `usage: npm run nats:config -- --cluster NAME [--nkeys DIR | --nsc]
  --cluster NAME   the nodes' --cluster (1-32 of A-Z a-z 0-9 _ -)
  --nkeys DIR      also create one nkey per role in DIR (<role>.nk, mode 0600) and put their public keys in the block
  --nsc            print nsc commands (operator mode, JWT accounts) instead of a server config block`;

function main(argv: string[]): string {
  const { values } = parseArgs({
    args: argv,
    options: { cluster: { type: 'string' }, nkeys: { type: 'string' }, nsc: { type: 'boolean' } },
  });
  const cluster = values.cluster;
  if (!cluster || !CLUSTER_NAME.test(cluster)) throw new Error(`--cluster NAME is required: 1-32 of A-Z a-z 0-9 _ -`);
  if (values.nsc) return renderNscCommands(cluster);
  if (!values.nkeys) return renderAuthorization(cluster, PLACEHOLDER_USERS);
  mkdirSync(values.nkeys, { recursive: true });
  const created = createLocalCredentials(values.nkeys, cluster);
  const seeds = ROLES.map((r) => `# ${r}: --nats-nkey ${created.seedFiles[r]}`).join('\n');
  return `${seeds}\n${renderAuthorization(cluster, created.users)}`;
}

try {
  console.log(main(process.argv.slice(2)));
} catch (err) {
  console.error(`nats:config: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(2);
}
