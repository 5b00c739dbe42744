import type { Kysely } from 'kysely';
import { replacePartnerStateCheck } from './0010_partner_states.ts';

// The state `offboarded` (from the one list in contracts/partner-states.ts).

export async function up(db: Kysely<any>): Promise<void> {
  await replacePartnerStateCheck(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
