import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const script = fileURLToPath(new URL('../../testing/embedded-node.ts', import.meta.url));
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function runNode(dir: string, key: string, by: number): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, dir, key, String(by)]);
  return Number(stdout.trim());
}

test('the embedded node keeps object state across a process restart (LMDB)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'resident-embedded-'));
  dirs.push(dir);
  assert.equal(await runNode(dir, 'p', 5), 5);
  assert.equal(await runNode(dir, 'p', 3), 8, 'the second process started from the first one’s state');
  assert.equal(await runNode(dir, 'other', 1), 1);
});
