import { sql, type Kysely } from 'kysely';

// Console sign-in lockout, keyed by an HMAC of the email that was typed, whether or not an
// operator has it: an unknown email locks exactly like a known one, so the answers cannot tell
// them apart. A failure is counted before the password is checked (one conditional upsert), so
// parallel attempts cannot get more password checks than the limit allows. The per-operator
// counters this replaces are dropped.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE sign_in_lockouts (
      subject text PRIMARY KEY,
      failures integer NOT NULL,
      locked_until timestamptz,
      updated_at timestamptz NOT NULL
    );
    ALTER TABLE operators DROP COLUMN failed_attempts, DROP COLUMN locked_until;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
