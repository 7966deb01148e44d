// Runs backend test files with the image's Node 24 and glibc, in its build stage (every dependency), with this
// checkout's sources mounted read-only and the provisioned nats-server: what a Debian 12 host cannot run, such as
// uWebSockets.js on Node 24. CLI: `node --import tsx infra/image/test-in-image.ts FILE…` (FILE relative to backend/).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBase } from './base.ts';
import { buildImage, ROOT } from './image.ts';
import { podmanEnv } from './podman.ts';

const TAG = 'localhost/resident-node:build';
// Sources only: the stage's node_modules were installed for its own Node and libc.
const MOUNTS = ['backend/src', 'backend/test', 'backend/testing', 'shared', 'testing', 'infra'];
const NATS_SERVER = process.env.NATS_SERVER_BIN ?? join(ROOT, '.tools/bin/nats-server');

export interface InImageRun {
  readonly status: number;
  readonly output: string;
}

/** Builds (or reuses) the build stage, then runs `node --test files…` in it; `output` is the runner's stdout+stderr. */
export function testInImage(files: readonly string[], stdio: 'pipe' | 'inherit' = 'pipe'): InImageRun {
  buildImage({ base: ensureBase().image, tag: TAG, target: 'build', stdio: 'ignore' });
  const volumes = MOUNTS.flatMap((dir) => ['-v', `${join(ROOT, dir)}:/app/${dir}:ro`]);
  volumes.push('-v', `${NATS_SERVER}:/usr/local/bin/nats-server:ro`);
  const args = ['run', '--rm', '--network', 'host', ...volumes, '-e', 'NATS_SERVER_BIN=/usr/local/bin/nats-server'];
  args.push('-w', '/app/backend', TAG, 'node', '--import', 'tsx', '--test', '--test-reporter=spec', ...files);
  const run = spawnSync('podman', args, { env: podmanEnv(), stdio: ['ignore', stdio, stdio], encoding: 'utf8' });
  return { status: run.status ?? 1, output: `${run.stdout ?? ''}${run.stderr ?? ''}` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node --import tsx infra/image/test-in-image.ts FILE… (relative to backend/)');
    process.exitCode = 2;
  } else process.exitCode = testInImage(files, 'inherit').status;
}
