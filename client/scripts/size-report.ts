// Gzips every file under the build output, prints a table and the total, and fails when the total is over budget.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 1.5 * 1024 * 1024;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

export function sizeReport(dir: string): { rows: { file: string; raw: number; gzip: number }[]; total: number } {
  const rows = files(dir).map((path) => {
    const bytes = readFileSync(path);
    return { file: relative(dir, path), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  rows.sort((a, b) => b.gzip - a.gzip);
  return { rows, total: rows.reduce((sum, r) => sum + r.gzip, 0) };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? 'dist';
  const { rows, total } = sizeReport(dir);
  for (const r of rows) console.log(`${kb(r.gzip).padStart(10)} gz ${kb(r.raw).padStart(10)} raw  ${r.file}`);
  const verdict = total <= BUDGET_BYTES ? 'within' : 'OVER';
  console.log(`bundle: ${kb(total)} gzipped in ${rows.length} files, ${verdict} the ${kb(BUDGET_BYTES)} budget`);
  if (total > BUDGET_BYTES) process.exit(1);
}
