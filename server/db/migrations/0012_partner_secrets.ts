import { sql, type Kysely } from 'kysely';

// The exact secrets a partner entered, and when each expires: matched to the app's
// passwordCredentials (Microsoft Graph) by the hint (the first three characters), keeping keyId and
// endDateTime; without Graph, the expiry date the partner typed in the wizard is the fallback.
// One row per partner and credential, refreshed by the daily expiry job.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE partner_secrets (
      partner_id uuid NOT NULL REFERENCES partners(id),
      credential text NOT NULL CHECK (credential IN ('entra_client_secret', 'partner_center_web_app_secret')),
      app_id text NOT NULL,
      key_id text,
      ends_at timestamptz,
      source text NOT NULL CHECK (source IN ('graph', 'typed')),
      checked_at timestamptz NOT NULL,
      PRIMARY KEY (partner_id, credential)
    );
    CREATE INDEX partner_secrets_ends_at ON partner_secrets (ends_at) WHERE ends_at IS NOT NULL;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
