import { sql, type Kysely } from 'kysely';

// The primary contact's own offboarding: a one-time confirmation link (only its HMAC is stored),
// emailed to the primary contact, 48 hours, one usable at a time.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE offboarding_requests (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      partner_id uuid NOT NULL REFERENCES partners(id),
      token_hash text NOT NULL UNIQUE,
      requested_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      spent_at timestamptz
    );
    CREATE INDEX offboarding_requests_partner ON offboarding_requests (partner_id);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
