import { sql, type Kysely } from 'kysely';

// Acceptances of the Terms of Use and Privacy Policy: append-only evidence of which exact text
// (version + SHA-256) which contact of which partner accepted, when, from where.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE terms_acceptances (
      id bigserial PRIMARY KEY,
      partner_id uuid NOT NULL REFERENCES partners(id),
      contact_id uuid NOT NULL REFERENCES contacts(id),
      document text NOT NULL CHECK (document IN ('terms_of_use','privacy_policy')),
      version text NOT NULL,
      sha256 char(64) NOT NULL,
      accepted_at timestamptz NOT NULL,
      ip text,
      user_agent text
    );
    CREATE INDEX terms_acceptances_partner_idx ON terms_acceptances (partner_id, document, accepted_at);
    CREATE TRIGGER terms_acceptances_append_only BEFORE UPDATE OR DELETE ON terms_acceptances
      FOR EACH ROW EXECUTE FUNCTION refuse_change_of_append_only();
    CREATE TRIGGER terms_acceptances_no_truncate BEFORE TRUNCATE ON terms_acceptances
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_append_only();
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
