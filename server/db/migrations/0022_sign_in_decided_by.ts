import { sql, type Kysely } from 'kysely';

// The latest sign-in decides: the connection remembers when the sign-in whose answer it shows was
// started, so an older sign-in's answer arriving late (a replayed or slow callback) never
// overrides a newer one, and a newer refusal voids an older success.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE microsoft_connections ADD COLUMN sign_in_started_at timestamptz`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
