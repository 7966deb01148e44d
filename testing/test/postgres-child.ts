// A test process that starts a PostgreSQL, opens a connection to it (a backend process), prints the postmaster's
// pid and temp dir, then exits without stopping it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPostgres } from '../index.ts';

const pg = await startPostgres();
// A session that stays open: its backend must go with the postmaster.
spawn(join(pg.bin, 'psql'), [pg.url, '-c', 'SELECT pg_sleep(60)'], { stdio: 'ignore', detached: true }).unref();
await sleep(300);
process.stdout.write(`${JSON.stringify({ pid: pg.pid, dir: pg.socketDir })}\n`);
process.exit(0);
