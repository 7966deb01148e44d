// startPostgres: a real server the application role reaches over TCP with its password, durable as shipped, with
// pg_stat_statements; gone with all its backends after close, or when the test process exits without closing it.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { postgresMissing, startPostgres } from '../index.ts';

const skip = postgresMissing() ?? false;
const CHILD = fileURLToPath(new URL('./postgres-child.ts', import.meta.url));

/** True while any process of the group led by `pgid` exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return true;
    await sleep(50);
  }
  return false;
}

describe('startPostgres', { skip }, () => {
  test('serves the application role over TCP, durable, with pg_stat_statements; close stops it all', async () => {
    const pg = await startPostgres();
    const query = (sql: string) =>
      execFileSync(join(pg.bin, 'psql'), [pg.url, '-XAtc', sql], { encoding: 'utf8' }).trim();
    assert.match(pg.url, new RegExp(`^postgres://resident:[^@]+@127\\.0\\.0\\.1:${pg.port}/resident$`));
    assert.equal(query('SELECT current_user || current_database()'), 'residentresident');
    assert.equal(
      query(
        "SELECT string_agg(setting, ',' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')",
      ),
      'on,on',
    );
    assert.equal(query('SELECT count(*) >= 0 FROM pg_stat_statements'), 't');
    const wrong = pg.url.replace(/:[^:@]+@/, ':wrong@');
    assert.throws(() => execFileSync(join(pg.bin, 'psql'), [wrong, '-XAtc', 'SELECT 1'], { stdio: 'pipe' }));
    const dir = dirname(pg.socketDir);
    await pg.close();
    assert.equal(await groupGone(pg.pid!, 5_000), true, 'postgres is still running');
    assert.equal(existsSync(dir), false);
  });

  test('a test process that exits without closing it leaves no postgres process and no temp dir', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const { pid, dir } = JSON.parse(line.toString()) as { pid: number; dir: string };
    await once(child, 'exit');
    assert.equal(await groupGone(pid, 5_000), true, 'postgres or one of its backends is still running');
    assert.equal(existsSync(dirname(dir)), false);
  });
});
