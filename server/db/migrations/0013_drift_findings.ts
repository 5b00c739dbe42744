import { sql, type Kysely } from 'kysely';

// Findings may come from the daily drift check (the preflight checks run again with the stored credentials).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE partner_attention DROP CONSTRAINT IF EXISTS partner_attention_origin_check;
    ALTER TABLE partner_attention ADD CONSTRAINT partner_attention_origin_check CHECK (origin IN ('sync', 'secret_expiry', 'drift'));
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
