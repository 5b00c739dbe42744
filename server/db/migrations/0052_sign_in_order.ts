import { sql, type Kysely } from 'kysely';

// The order sign-ins were started in. "The partner's latest sign-in" was the one with the latest
// `created_at`; two started within the same clock reading (a quick double click, a test clock
// that stands still) tied, and the database could answer either: the wizard then showed a sign-in
// that had come back as unfinished. The identity column breaks the tie by the order of insertion.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE oauth_sign_ins ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE oauth_sign_ins DROP COLUMN seq`.execute(db);
}
