import type { DbOrTx } from '../../db/database.ts';
import type { OutboxMessage } from '../../db/schema.ts';

export function createMailRepo() {
  return {
    async insert(
      db: DbOrTx,
      row: {
        idempotencyKey: string;
        partnerId: string | null;
        template: string;
        to: string;
        cc: string[];
        params: Record<string, unknown>;
        sealedSecrets: string | null;
        messageId: string;
      },
    ): Promise<string | undefined> {
      const inserted = await db
        .insertInto('outbox')
        .values({
          idempotency_key: row.idempotencyKey,
          partner_id: row.partnerId,
          template: row.template,
          to_address: row.to,
          cc_addresses: JSON.stringify(row.cc),
          params: JSON.stringify(row.params),
          sealed_secrets: row.sealedSecrets,
          status: 'pending',
          message_id: row.messageId,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted?.id;
    },

    async find(db: DbOrTx, id: string): Promise<OutboxMessage | undefined> {
      return db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async recordAttempt(db: DbOrTx, id: string, error: string): Promise<void> {
      await db
        .updateTable('outbox')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 500) }))
        .where('id', '=', id)
        .execute();
    },

    /** Marks the message sent and erases the sealed link token: nothing secret stays behind. */
    async markSent(db: DbOrTx, id: string, sentAt: Date): Promise<void> {
      await db
        .updateTable('outbox')
        .set((eb) => ({ status: 'sent', sent_at: sentAt, sealed_secrets: null, last_error: null, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .execute();
    },

    async listForPartner(db: DbOrTx, partnerId: string) {
      return db
        .selectFrom('outbox')
        .select(['id', 'template', 'to_address', 'status', 'attempts', 'created_at', 'sent_at', 'last_error'])
        .where('partner_id', '=', partnerId)
        .orderBy('created_at')
        .execute();
    },
  };
}

export type MailRepo = ReturnType<typeof createMailRepo>;
