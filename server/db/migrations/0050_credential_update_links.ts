import { sql, type Kysely } from 'kysely';

// One-time links of a third purpose: the primary contact's "update credentials" link (a new
// Partner Center or Entra app secret entered after the connection). Same table, same rules as the
// signup link: only the HMAC stored, one usable link per partner and purpose, claimed by one browser.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE one_time_tokens DROP CONSTRAINT one_time_tokens_purpose_check;
    ALTER TABLE one_time_tokens ADD CONSTRAINT one_time_tokens_purpose_check
      CHECK (purpose IN ('email_verification', 'signup_link', 'credential_update'));
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
