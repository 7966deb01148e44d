// Credentials for a NATS the project starts itself (cluster runner, loadgen --local, tests): one nkey per role, the
// seeds in files only the owner can read, and a random password for the routes between servers.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { ROLES, type Role } from './roles.ts';
import type { RouteCredentials, ServerUser } from './server-config.ts';

export interface LocalCredentials {
  /** The cluster whose subjects and buckets the node role may use. */
  readonly cluster: string;
  /** Seed file per role (pass as `--nats-nkey FILE`). */
  readonly seedFiles: Readonly<Record<Role, string>>;
  readonly users: readonly ServerUser[];
  readonly route: RouteCredentials;
}

/** Writes `<role>.nk` into `dir` for every role. */
export function createLocalCredentials(dir: string, cluster: string): LocalCredentials {
  const seedFiles = {} as Record<Role, string>;
  const users: ServerUser[] = [];
  for (const role of ROLES) {
    const kp = createUser();
    seedFiles[role] = join(dir, `${role}.nk`);
    writeFileSync(seedFiles[role], `${new TextDecoder().decode(kp.getSeed())}\n`, { mode: 0o600 });
    users.push({ role, nkey: kp.getPublicKey() });
  }
  return { cluster, seedFiles, users, route: { user: 'route', password: randomBytes(18).toString('base64url') } };
}
