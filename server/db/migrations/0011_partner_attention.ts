import { sql, type Kysely } from 'kysely';

// Findings that need the partner: what Microsoft refused (code, which credential), in plain words,
// and the exact fix. At most one open finding per partner (a second failure while one is open
// does not start a second round of emails). The notification columns make each email once:
// set by one conditional update in the transaction that queues the email.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE partner_attention (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      partner_id uuid NOT NULL REFERENCES partners(id),
      origin text NOT NULL CHECK (origin IN ('sync', 'secret_expiry')),
      code text NOT NULL,
      source text CHECK (source IN ('entra_app', 'partner_center_app', 'service_account')),
      message text NOT NULL,
      fix text NOT NULL,
      after_fix text NOT NULL,
      opened_at timestamptz NOT NULL,
      last_checked_at timestamptz NOT NULL,
      primary_notified_at timestamptz,
      secondary_due_at timestamptz NOT NULL,
      secondary_notified_at timestamptz,
      resolved_at timestamptz,
      resolved_by text
    );
    CREATE UNIQUE INDEX partner_attention_one_open ON partner_attention (partner_id) WHERE resolved_at IS NULL;
    CREATE INDEX partner_attention_escalation ON partner_attention (secondary_due_at) WHERE resolved_at IS NULL AND secondary_notified_at IS NULL;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
