// Runs podman with this repository's containers.conf (runc, file limits the host allows), never the system's.

import { type ExecFileSyncOptions, execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CONTAINERS_CONF = fileURLToPath(new URL('./containers.conf', import.meta.url));

/** What podman gets on top of this process's environment: CONTAINERS_CONF, unless the caller already chose one. */
export const PODMAN_CONF_ENV: Readonly<Record<string, string>> = {
  CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? CONTAINERS_CONF,
};

export function podmanEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...PODMAN_CONF_ENV };
}

/** Runs `podman args` and returns its stdout; throws with podman's stderr when it fails. */
export function podman(args: readonly string[], opts: Pick<ExecFileSyncOptions, 'input' | 'stdio'> = {}): string {
  const out = execFileSync('podman', args, { env: podmanEnv(), encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return typeof out === 'string' ? out : '';
}

/** Whether `image` is in local storage. */
export function imageExists(image: string): boolean {
  return spawnSync('podman', ['image', 'exists', image], { env: podmanEnv(), stdio: 'ignore' }).status === 0;
}

/** Why podman cannot build and run containers here, or undefined when it can. */
export function podmanUnusable(): string | undefined {
  const version = spawnSync('podman', ['version', '--format', '{{.Client.Version}}'], {
    env: podmanEnv(),
    encoding: 'utf8',
  });
  if (version.error || version.status !== 0)
    return 'podman is not installed (apt-get install -y podman buildah runc debootstrap)';
  if (process.getuid?.() !== 0) return 'not root: the local base needs debootstrap and podman run needs runc as root';
  return undefined;
}
