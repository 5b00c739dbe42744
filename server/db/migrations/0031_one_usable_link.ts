import { sql, type Kysely } from 'kysely';

// At most one usable link of each purpose per partner. Issuing a link revokes every earlier one of
// the same purpose (under the partner row lock) before inserting; this index makes a second usable
// link impossible even if a path forgot the lock. "Usable" here is "neither revoked nor spent": an
// expired link is revoked by the next issue like any other. Rows that already break the rule keep
// only their newest link usable.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    UPDATE one_time_tokens AS t
       SET revoked_at = now(), revoked_reason = 'superseded'
     WHERE t.revoked_at IS NULL AND t.spent_at IS NULL
       AND EXISTS (
         SELECT 1 FROM one_time_tokens AS newer
          WHERE newer.partner_id = t.partner_id AND newer.purpose = t.purpose
            AND newer.revoked_at IS NULL AND newer.spent_at IS NULL
            AND (newer.created_at, newer.id) > (t.created_at, t.id)
       );
  `.execute(db);
  await sql`
    CREATE UNIQUE INDEX one_time_tokens_one_usable_idx ON one_time_tokens (partner_id, purpose)
     WHERE revoked_at IS NULL AND spent_at IS NULL;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
