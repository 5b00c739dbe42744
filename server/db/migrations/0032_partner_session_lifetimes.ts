import { sql, type Kysely } from 'kysely';

// A partner's browser session (the signup link it claimed) has an idle and an absolute lifetime
// and can be ended by signing out: when it was last used, and when it was ended. Sessions that
// exist already count as used at their claim.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE one_time_tokens ADD COLUMN session_seen_at timestamptz, ADD COLUMN session_ended_at timestamptz;
    UPDATE one_time_tokens SET session_seen_at = claimed_at WHERE claimed_at IS NOT NULL;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
