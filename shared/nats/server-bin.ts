// Which nats-server binary tests, benchmarks, the cluster runner and the loadgen start: NATS_SERVER_BIN if set,
// else the one scripts/provision.mjs fetched into the repo's .tools/ (Debian unstable's, 2.15 today), else PATH's.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where scripts/provision.mjs links the nats-server it fetched. */
export const PROVISIONED_NATS_SERVER = join(REPO_ROOT, '.tools', 'bin', 'nats-server');
const PROVISION_COMMAND = 'node scripts/provision.mjs';

export function findNatsServer(): string {
  const fromEnv = process.env.NATS_SERVER_BIN;
  if (fromEnv) {
    if (isExecutableFile(fromEnv)) return fromEnv;
    throw new Error(
      `NATS_SERVER_BIN=${fromEnv} is not an executable file. Provision nats-server: ${PROVISION_COMMAND}`,
    );
  }
  if (isExecutableFile(PROVISIONED_NATS_SERVER)) return PROVISIONED_NATS_SERVER;
  const system = systemNatsServer();
  if (system) return system;
  throw new Error(
    `nats-server not found in ${PROVISIONED_NATS_SERVER} nor on PATH (or set NATS_SERVER_BIN). Provision it: ${PROVISION_COMMAND}`,
  );
}

/** The nats-server on PATH: the system's package (2.9 on Debian 12), which the compatibility run tests against. */
export function systemNatsServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'nats-server');
    if (dir && isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    // statSync follows the .tools/bin symlink to the binary itself.
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
