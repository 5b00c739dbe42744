import { sql } from 'kysely';
import type { Db } from '../../server/db/database.ts';

/** Every row of every table (ours and pg-boss's) as text: what a database dump would expose. */
export async function dumpAllRows(db: Db): Promise<string> {
  const tables = await sql<{ schema: string; name: string }>`
    SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`.execute(db);
  const parts: string[] = [];
  for (const table of tables.rows) {
    const rows = await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.id(table.schema, table.name)} t`.execute(db);
    parts.push(`-- ${table.schema}.${table.name}`, ...rows.rows.map((r) => r.row));
  }
  return parts.join('\n');
}
