import { sql, type Kysely } from 'kysely';
import { partnerStates } from '../../../contracts/partner-states.ts';

// The partner states allowed by the database come from the one list in contracts/ (this adds
// needs_attention). A later migration that adds a state calls `replacePartnerStateCheck` again;
// test/integration/partner-lifecycle.test.ts compares the constraint with the list.

export async function replacePartnerStateCheck(db: Kysely<any>, states: readonly string[] = partnerStates): Promise<void> {
  await sql`ALTER TABLE partners DROP CONSTRAINT IF EXISTS partners_state_check`.execute(db);
  await sql`ALTER TABLE partners ADD CONSTRAINT partners_state_check CHECK (state IN (${sql.join(states.map((s) => sql.lit(s)))}))`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await replacePartnerStateCheck(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
