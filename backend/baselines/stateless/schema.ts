// Creates the twin's table when it is missing. Instances start side by side, so they take turns (an advisory lock):
// two concurrent CREATE TABLE IF NOT EXISTS can still collide on the catalog.
import { readFileSync } from 'node:fs';
import type { Sql } from 'postgres';

const SCHEMA = readFileSync(new URL('./schema.sql', import.meta.url), 'utf8');
/** Any constant that no other user of the database locks with: "resident" in ASCII. */
const SCHEMA_LOCK = 0x7265_7369_6465;

export async function applySchema(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`;
    await tx.unsafe(SCHEMA);
  });
}
