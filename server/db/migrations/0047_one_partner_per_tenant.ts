import { sql, type Kysely } from 'kysely';

// One live partner per Microsoft tenant. A partner holds its tenant from the commit of its
// connection (`committed_at`) until it is offboarded (`tenant_released_at`, set in the offboarding
// transaction); suspended or reconnecting, it still holds it (its credentials are still stored).
// The connect wizard refuses a tenant held by another partner at the Entra step and at the commit;
// this index makes a second holder impossible even when two commits race.
//
// Rows that already break the rule: the partner that committed first keeps the tenant; the later
// ones are marked released (they keep working as before; a new commit of theirs is refused with
// the support path, and the console shows every partner connected to the same tenant).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE microsoft_connections ADD COLUMN tenant_released_at timestamptz`.execute(db);
  await sql`
    UPDATE microsoft_connections AS c
       SET tenant_released_at = now()
      FROM partners AS p
     WHERE p.id = c.partner_id AND p.state = 'offboarded' AND c.committed_at IS NOT NULL
  `.execute(db);
  await sql`
    UPDATE microsoft_connections AS c
       SET tenant_released_at = now()
     WHERE c.committed_at IS NOT NULL AND c.tenant_released_at IS NULL
       AND EXISTS (
         SELECT 1 FROM microsoft_connections AS earlier
          WHERE earlier.tenant_id = c.tenant_id AND earlier.partner_id <> c.partner_id
            AND earlier.committed_at IS NOT NULL AND earlier.tenant_released_at IS NULL
            AND (earlier.committed_at, earlier.partner_id) < (c.committed_at, c.partner_id)
       )
  `.execute(db);
  await sql`
    CREATE UNIQUE INDEX microsoft_connections_one_live_tenant_idx ON microsoft_connections (tenant_id)
     WHERE committed_at IS NOT NULL AND tenant_released_at IS NULL
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
