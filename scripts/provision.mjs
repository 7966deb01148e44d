#!/usr/bin/env node
// Makes sure the system packages the test suite starts for real are on this machine, then the project-local
// nats-server the tests default to (nats-tools.mjs).
// As root it installs missing system packages with apt-get; otherwise it prints the exact command and fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { provisionNatsTools } from './nats-tools.mjs';

/** binary the tests run → Debian package that provides it (env var overrides the binary). */
const REQUIRED = [
  // Debian's own nats-server (2.9 on Debian 12) is what the compatibility run tests against.
  { bin: 'nats-server', pkg: 'nats-server', env: 'NATS_SERVER_BIN' },
  // The Colyseus conformance suite runs the upstream Redis presence and driver against a real redis-server.
  { bin: 'redis-server', pkg: 'redis-server', env: 'REDIS_SERVER_BIN' },
  // The browser tests drive Debian's Chromium with playwright-core.
  { bin: 'chromium', pkg: 'chromium', env: 'CHROMIUM_BIN' },
  // The stateless baseline's tests run a real PostgreSQL. Debian keeps the server off PATH, in
  // /usr/lib/postgresql/<version>/bin, so that is looked at too; PG_BIN names such a folder.
  { bin: 'postgres', pkg: 'postgresql', envDir: 'PG_BIN', dirs: postgresDirs },
  // bench:thesis counts each side's lines of code with cloc (its smoke run is part of the suite).
  { bin: 'cloc', pkg: 'cloc' },
];

function postgresDirs() {
  try {
    return readdirSync('/usr/lib/postgresql').map((version) => join('/usr/lib/postgresql', version, 'bin'));
  } catch {
    return [];
  }
}

function onPath(bin) {
  return spawnSync('sh', ['-c', `command -v "${bin}"`], { stdio: 'ignore' }).status === 0;
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function present(req) {
  const override = req.env && process.env[req.env];
  if (override) return onPath(override);
  const dir = req.envDir && process.env[req.envDir];
  if (dir) return isExecutable(join(dir, req.bin));
  return onPath(req.bin) || (req.dirs?.() ?? []).some((d) => isExecutable(join(d, req.bin)));
}

/**
 * The deployment tests' tools (image build, Compose, `podman kube play`). Installed where this script can install
 * (root with apt-get); elsewhere those tests skip with one line saying why, so they are not required.
 */
const DEPLOY = [
  { bin: 'podman', pkg: 'podman' },
  { bin: 'buildah', pkg: 'buildah' },
  { bin: 'runc', pkg: 'runc' },
  { bin: 'podman-compose', pkg: 'podman-compose' },
  { bin: 'debootstrap', pkg: 'debootstrap' },
];

const canInstall = process.getuid?.() === 0 && onPath('apt-get');
const missing = REQUIRED.filter((r) => !present(r));
const deployMissing = DEPLOY.filter((r) => !present(r));
if (deployMissing.length && !canInstall)
  console.error(
    `provision: no ${deployMissing.map((r) => r.bin).join(', ')} (not root with apt-get): the deployment tests will skip`,
  );
const toInstall = [...missing, ...(canInstall ? deployMissing : [])];
if (toInstall.length) installSystemPackages(toInstall);
try {
  console.error(provisionNatsTools());
} catch (err) {
  console.error(`provision: ${err.message}`);
  process.exit(1);
}

function installSystemPackages(missing) {
  const pkgs = missing.map((r) => r.pkg);
  const command = `apt-get update && apt-get install -y ${pkgs.join(' ')}`;
  const hasApt = onPath('apt-get');
  if (!canInstall) {
    console.error(`provision: missing ${missing.map((r) => r.bin).join(', ')}.`);
    console.error(
      hasApt ? `Run: sudo ${command}` : `Install the packages ${pkgs.join(', ')} with your system's package manager.`,
    );
    process.exit(1);
  }
  console.error(`provision: installing ${pkgs.join(', ')} with apt-get …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
  const still = missing.filter((r) => !present(r));
  if (still.length) {
    console.error(`provision: apt-get finished but ${still.map((r) => r.bin).join(', ')} is still missing.`);
    process.exit(1);
  }
}
