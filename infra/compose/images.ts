// The three images compose.yaml runs, built locally for a machine without a container registry: the node's image
// (infra/image) and small nats-server and Prometheus images, all on the local Debian 13 base. With a registry,
// compose.yaml's defaults are the official nats and prom/prometheus images and only the node's image is built.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNatsServer } from '@resident/shared/nats';
import { ensureBase } from '../image/base.ts';
import { buildImage, IMAGE } from '../image/image.ts';
import { podmanEnv } from '../image/podman.ts';

/** The environment variables compose.yaml takes its images from, with the local tags built here. */
export const LOCAL_IMAGES = {
  RESIDENT_IMAGE: IMAGE,
  NATS_IMAGE: 'localhost/resident-nats:local',
  PROMETHEUS_IMAGE: 'localhost/resident-prometheus:local',
} as const;
export type ImageSetting = keyof typeof LOCAL_IMAGES;

const NATS_CONTAINERFILE = fileURLToPath(new URL('./images/nats.Containerfile', import.meta.url));
const PROMETHEUS_CONTAINERFILE = fileURLToPath(new URL('./images/prometheus.Containerfile', import.meta.url));

export interface BuildLocalOptions {
  /** Other tags than LOCAL_IMAGES (a test builds its own). */
  readonly tags?: Partial<Record<ImageSetting, string>>;
  readonly stdio?: 'inherit' | 'ignore';
}

export interface LocalImages {
  readonly images: Record<ImageSetting, string>;
  /** Wall time of each build, base included in the node's when it was built now. */
  readonly seconds: Record<ImageSetting, number>;
  /** The nats-server that went into the NATS image: its version line and where it came from. */
  readonly natsServer: string;
}

export function buildLocalImages(opts: BuildLocalOptions = {}): LocalImages {
  const images = { ...LOCAL_IMAGES, ...opts.tags };
  const stdio = opts.stdio ?? 'inherit';
  const seconds = {} as Record<ImageSetting, number>;
  const timed = (setting: ImageSetting, build: () => void) => {
    const started = performance.now();
    build();
    seconds[setting] = (performance.now() - started) / 1000;
  };
  let base = '';
  timed('RESIDENT_IMAGE', () => {
    base = ensureBase().image;
    buildImage({ base, tag: images.RESIDENT_IMAGE, stdio });
  });
  // The provisioned nats-server (the one the tests run; NATS_SERVER_BIN names another) is the context's only file.
  const nats = findNatsServer();
  const natsServer = `${execFileSync(nats, ['--version'], { encoding: 'utf8' }).trim()} (${nats})`;
  timed('NATS_IMAGE', () => podmanBuild(NATS_CONTAINERFILE, base, images.NATS_IMAGE, stdio, { 'nats-server': nats }));
  timed('PROMETHEUS_IMAGE', () => podmanBuild(PROMETHEUS_CONTAINERFILE, base, images.PROMETHEUS_IMAGE, stdio));
  return { images, seconds, natsServer };
}

/** Builds `file` on `base` in a fresh context holding only `files` (name in the context → source path). */
function podmanBuild(
  file: string,
  base: string,
  tag: string,
  stdio: 'inherit' | 'ignore',
  files: Record<string, string> = {},
): void {
  const context = mkdtempSync(join(tmpdir(), 'resident-image-context-'));
  try {
    for (const [name, source] of Object.entries(files)) copyFileSync(source, join(context, name));
    const args = ['build', '--build-arg', `BASE=${base}`, '-t', tag, '-f', file, context];
    const result = spawnSync('podman', args, { env: podmanEnv(), stdio: ['ignore', stdio, 'inherit'] });
    if (result.error) throw new Error(`compose: cannot run podman: ${result.error.message}`);
    if (result.status !== 0) throw new Error(`compose: podman build of ${tag} failed (exit ${result.status})`);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
