// Lines of code of each side's implementation of the same game services, tests excluded, counted by cloc. Each
// side's runtime (Resident's object runtime; Fastify, PostgreSQL, Redis) is left out, as a framework is.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Resident's game services: the two object classes. */
const RESIDENT_FILES = ['backend/src/game/objects/player.ts', 'backend/src/game/objects/leaderboard.ts'];
const STATELESS_DIR = 'backend/baselines/stateless';
/** The twin's process wiring (flags, start, entry point, exports, the launcher of its tier): Resident's node wiring is
 * not counted either. */
const STATELESS_WIRING = new Set(['config.ts', 'server.ts', 'main.ts', 'index.ts', 'tier.ts']);

export interface CodeSize {
  tool: string;
  resident: { lines: number; files: string[] };
  stateless: { lines: number; files: string[] };
}

export function statelessFiles(): string[] {
  const dir = join(ROOT, STATELESS_DIR);
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|sql)$/.test(f) && !STATELESS_WIRING.has(f))
    .map((f) => relative(ROOT, join(dir, f)))
    .sort();
}

/** Both sides' code lines; undefined (with the reason) when cloc is not installed. */
export function codeSize(): CodeSize | { missing: string } {
  let version: string;
  try {
    version = execFileSync('cloc', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return { missing: 'cloc is not installed (sudo apt-get install -y cloc): no lines-of-code figure' };
  }
  const count = (files: string[]) => ({ lines: clocLines(files), files });
  return { tool: `cloc ${version}`, resident: count(RESIDENT_FILES), stateless: count(statelessFiles()) };
}

function clocLines(files: string[]): number {
  const out = execFileSync('cloc', ['--json', '--quiet', ...files], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as { SUM?: { code?: number } }).SUM?.code ?? 0;
}
