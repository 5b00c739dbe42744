import { sql, type Kysely } from 'kysely';

// What GDAP lets TotalOne do in each customer's tenant, as the last sync read it (written by the
// sync only): relationship status, end, auto-extension, roles, whether a security group holding the
// service account is assigned, and the first reason the platform cannot manage the customer
// (`gdap_blocker`, null when it can). NULL status: never read. One row per partner says how the last
// read went (for "unknown" it carries the fix).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE customers
      ADD COLUMN gdap_status text CHECK (gdap_status IN ('active', 'expiring', 'expired', 'none', 'unknown')),
      ADD COLUMN gdap_end_at timestamptz,
      ADD COLUMN gdap_auto_extend boolean,
      ADD COLUMN gdap_roles jsonb,
      ADD COLUMN gdap_global_admin boolean,
      ADD COLUMN gdap_read_only boolean,
      ADD COLUMN gdap_group_assigned boolean,
      ADD COLUMN gdap_relationship text,
      ADD COLUMN gdap_blocker text CHECK (gdap_blocker IN ('unknown', 'no_relationship', 'expired', 'read_only', 'no_global_admin', 'no_group_assignment')),
      ADD COLUMN gdap_checked_at timestamptz;
    CREATE INDEX customers_gdap_blocked ON customers (partner_id, gdap_blocker) WHERE removed_at IS NULL AND gdap_blocker IS NOT NULL;
    CREATE TABLE gdap_reads (
      partner_id uuid PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
      outcome text NOT NULL CHECK (outcome IN ('read', 'permission_missing', 'failed')),
      relationships integer NOT NULL DEFAULT 0,
      problem text,
      fix text,
      code text,
      read_at timestamptz NOT NULL
    );
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
