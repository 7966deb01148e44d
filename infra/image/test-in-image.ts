// `node --import tsx infra/image/test-in-image.ts FILE…` (FILE relative to backend/): runs backend test files with
// the image's Node 24 and glibc, in its build stage (every dependency), with this checkout's sources mounted
// read-only and the provisioned nats-server. For what the Debian 12 host cannot run: uWebSockets.js on Node 24.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureBase } from './base.ts';
import { buildImage, ROOT } from './image.ts';
import { podmanEnv } from './podman.ts';

const TAG = 'localhost/resident-node:build';
// Sources only: the stage's node_modules were installed for its own Node and libc.
const MOUNTS = ['backend/src', 'backend/test', 'backend/testing', 'shared', 'testing', 'infra'];
const NATS_SERVER = process.env.NATS_SERVER_BIN ?? join(ROOT, '.tools/bin/nats-server');

function main(files: string[]): number {
  if (files.length === 0) {
    console.error('usage: node --import tsx infra/image/test-in-image.ts FILE… (relative to backend/)');
    return 2;
  }
  buildImage({ base: ensureBase().image, tag: TAG, target: 'build', stdio: 'ignore' });
  const volumes = MOUNTS.flatMap((dir) => ['-v', `${join(ROOT, dir)}:/app/${dir}:ro`]);
  volumes.push('-v', `${NATS_SERVER}:/usr/local/bin/nats-server:ro`);
  const args = ['run', '--rm', '--network', 'host', ...volumes, '-e', 'NATS_SERVER_BIN=/usr/local/bin/nats-server'];
  args.push('-w', '/app/backend', TAG, 'node', '--import', 'tsx', '--test', ...files);
  return spawnSync('podman', args, { env: podmanEnv(), stdio: 'inherit' }).status ?? 1;
}

process.exitCode = main(process.argv.slice(2));
