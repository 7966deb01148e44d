// Builds the client once when dist/ is missing or older than its sources, so the browser tests pass on a fresh
// clone. Test files run in parallel processes, so a lock directory keeps two builds from writing dist/ at once.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLIENT_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const DIST_DIR = join(CLIENT_DIR, 'dist');
const LOCK = join(CLIENT_DIR, '.build-lock');
const SOURCES = ['src', 'index.html', 'vite.config.ts', '../shared/game', '../shared/net'];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function upToDate(): boolean {
  const built = join(DIST_DIR, 'index.html');
  if (!existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.every((s) => newest(join(CLIENT_DIR, s)) <= builtAt);
}

export async function ensureClientBuilt(): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (upToDate()) return DIST_DIR;
    try {
      mkdirSync(LOCK);
    } catch {
      if (Date.now() > deadline) throw new Error(`waited too long for ${LOCK}; remove it if no build is running`);
      await new Promise((r) => setTimeout(r, 250)); // another test process is building
      continue;
    }
    try {
      if (!upToDate()) execFileSync('npm', ['run', 'build'], { cwd: CLIENT_DIR, stdio: 'inherit' });
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
