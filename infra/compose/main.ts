// `node --import tsx infra/compose/main.ts secrets|images [options]`: what compose.yaml needs before `up`.

import { parseArgs } from 'node:util';
import { buildLocalImages } from './images.ts';
import { DEFAULT_CLUSTER, DEFAULT_SECRETS_DIR, writeSecrets } from './secrets.ts';

const USAGE = `usage: node --import tsx infra/compose/main.ts COMMAND [options]
  secrets [--dir DIR] [--cluster NAME] [--force]
      writes the stack's secrets into DIR (default ${DEFAULT_SECRETS_DIR}): one NATS nkey per role, the
      nats-server config with every role's permissions for cluster NAME (default "${DEFAULT_CLUSTER}", compose.yaml's
      RESIDENT_CLUSTER), the guest-token secret and the /metrics token. Refuses to replace existing ones without --force
  images
      builds the three images on the local Debian 13 base, for a machine without a container registry, and prints
      the variables that point compose.yaml at them`;

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      cluster: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...extra] = positionals;
  if (values.help) return console.log(USAGE);
  if (extra.length > 0 || (command !== 'secrets' && command !== 'images')) throw new UsageError('name one command');
  if (command === 'images') return images();
  const written = writeSecrets({
    ...(values.dir ? { dir: values.dir } : {}),
    ...(values.cluster ? { cluster: values.cluster } : {}),
    force: values.force ?? false,
  });
  console.log(`secrets for cluster "${written.cluster}" in ${written.dir}: ${written.files.join(', ')}`);
  if (written.cluster !== DEFAULT_CLUSTER) console.log(`start the stack with RESIDENT_CLUSTER=${written.cluster}`);
  if (values.dir) console.log(`start the stack with RESIDENT_SECRETS=${written.dir}`);
}

function images(): void {
  const built = buildLocalImages();
  console.log(`# NATS image with ${built.natsServer}`);
  for (const [setting, image] of Object.entries(built.images)) {
    const seconds = built.seconds[setting as keyof typeof built.images].toFixed(0);
    console.log(`export ${setting}=${image}    # built in ${seconds} s`);
  }
}

class UsageError extends Error {}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`compose: ${err instanceof Error ? err.message : String(err)}`);
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(USAGE);
    process.exit(2);
  }
  process.exit(1);
}
