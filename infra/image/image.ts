// Builds the backend node's image from infra/image/Containerfile on a given base.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { podman, podmanEnv } from './podman.ts';

export const IMAGE = 'localhost/resident-node:dev';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONTAINERFILE = fileURLToPath(new URL('./Containerfile', import.meta.url));
const IGNOREFILE = fileURLToPath(new URL('./Containerfile.dockerignore', import.meta.url));

export interface BuildOptions {
  readonly base: string;
  readonly tag?: string;
  /** A stage to stop at, e.g. `build` (every dependency, for running tests in the image's Node and libc). */
  readonly target?: string;
  /** podman's own output; default: this process's stderr. */
  readonly stdio?: 'inherit' | 'ignore';
}

export interface BuildResult {
  readonly image: string;
  readonly seconds: number;
  /** As podman reports it: the uncompressed size of all layers. */
  readonly bytes: number;
}

export function buildImage(opts: BuildOptions): BuildResult {
  const image = opts.tag ?? IMAGE;
  const started = performance.now();
  // docker format: OCI image configs have no HEALTHCHECK, and podman drops it from them.
  const args = ['build', '--format', 'docker', '--build-arg', `BASE=${opts.base}`, '-t', image];
  if (opts.target) args.push('--target', opts.target);
  // Behind a TLS-intercepting proxy, the CA bundle this process trusts goes to npm in the build as a secret.
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (ca && existsSync(ca)) args.push('--secret', `id=ca,src=${ca}`);
  args.push('-f', CONTAINERFILE, '--ignorefile', IGNOREFILE, ROOT);
  const result = spawnSync('podman', args, { env: podmanEnv(), stdio: ['ignore', opts.stdio ?? 'inherit', 'inherit'] });
  if (result.error) throw new Error(`image: cannot run podman: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`image: podman build failed (exit ${result.status})`);
  const seconds = (performance.now() - started) / 1000;
  const bytes = Number(podman(['image', 'inspect', '--format', '{{.Size}}', image]).trim());
  return { image, seconds, bytes };
}
