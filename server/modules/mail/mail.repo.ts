import { sql } from 'kysely';
import type { DbOrTx } from '../../db/database.ts';
import type { OutboxMessage } from '../../db/schema.ts';

// The only queries on `outbox`. A row moves pending -> sending -> sent, or back to pending after a
// temporary failure, or to failed when the mail server refused it for good. Every move is one
// conditional update, so two workers (or a worker and the sweeper) never both own an attempt.

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
        jobId: string;
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
          job_id: row.jobId,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted?.id;
    },

    async find(db: DbOrTx, id: string): Promise<OutboxMessage | undefined> {
      return db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /**
     * Takes the row for one delivery attempt, before the SMTP call: pending, or sending for longer
     * than `staleBefore` allows (its worker died mid-attempt). Returns the row with its attempt number.
     */
    async claim(db: DbOrTx, id: string, now: Date, staleBefore: Date): Promise<OutboxMessage | undefined> {
      return db
        .updateTable('outbox')
        .set((eb) => ({ status: 'sending', sending_since: now, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'sending'), eb('sending_since', '<', staleBefore)])]))
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * The mail server accepted the message: its answer and the new status in one statement; the
     * sealed link token goes. Whatever else happened to the row meanwhile, it was sent.
     */
    async markSent(db: DbOrTx, id: string, sentAt: Date, response: string): Promise<boolean> {
      const result = await db
        .updateTable('outbox')
        .set({ status: 'sent', sent_at: sentAt, smtp_response: response.slice(0, 500), sealed_secrets: null, last_error: null, sending_since: null, next_attempt_at: null, failed_at: null })
        .where('id', '=', id)
        .where('status', '!=', 'sent')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** A temporary failure of attempt `attempt`: pending again, not re-queued by the sweeper before `nextAttemptAt`. */
    async markRetry(db: DbOrTx, id: string, attempt: number, error: string, nextAttemptAt: Date): Promise<void> {
      await db
        .updateTable('outbox')
        .set({ status: 'pending', sending_since: null, last_error: error.slice(0, 500), next_attempt_at: nextAttemptAt })
        .where('id', '=', id)
        .where('attempts', '=', attempt)
        .where('status', '=', 'sending')
        .execute();
    },

    /** The mail server refused the message for good: it is never sent; nothing secret stays. */
    async markFailed(db: DbOrTx, id: string, attempt: number, error: string, failedAt: Date): Promise<void> {
      await db
        .updateTable('outbox')
        .set({ status: 'failed', failed_at: failedAt, sending_since: null, last_error: error.slice(0, 500), sealed_secrets: null, next_attempt_at: null })
        .where('id', '=', id)
        .where('attempts', '=', attempt)
        .where('status', '=', 'sending')
        .execute();
    },

    /**
     * Rows the sweeper may re-queue: pending (or sending for too long) and due. Whether their job
     * is still alive is checked by the caller against the queue.
     */
    async dueForSweep(db: DbOrTx, now: Date, staleBefore: Date, limit: number) {
      return db
        .selectFrom('outbox')
        .select(['id', 'job_id', 'status', 'sending_since', 'attempts'])
        .where((eb) =>
          eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'sending'), eb('sending_since', '<', staleBefore)])]),
        )
        .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
        .orderBy('created_at')
        .limit(limit)
        .execute();
    },

    /** Hands the row to a new job, only if nobody else did since it was read. */
    async assignJob(db: DbOrTx, id: string, previousJobId: string | null, jobId: string, staleBefore: Date): Promise<boolean> {
      const result = await db
        .updateTable('outbox')
        .set({ job_id: jobId, status: 'pending', sending_since: null })
        .where('id', '=', id)
        .where(sql<boolean>`job_id IS NOT DISTINCT FROM ${previousJobId}::uuid`)
        .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'sending'), eb('sending_since', '<', staleBefore)])]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** For the console: what waits, since when, and what could not be delivered. */
    async deliveryOverview(db: DbOrTx, failedLimit: number) {
      const waiting = await db
        .selectFrom('outbox')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
        .where('status', 'in', ['pending', 'sending'])
        .executeTakeFirstOrThrow();
      const failed = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'failed').executeTakeFirstOrThrow();
      const recentFailures = await db
        .selectFrom('outbox')
        .leftJoin('partners', 'partners.id', 'outbox.partner_id')
        .select(['outbox.id', 'outbox.template', 'outbox.to_address', 'outbox.last_error', 'outbox.failed_at', 'outbox.attempts', 'partners.id as partner_id', 'partners.reference', 'partners.legal_name'])
        .where('outbox.status', '=', 'failed')
        .orderBy('outbox.failed_at', 'desc')
        .limit(failedLimit)
        .execute();
      return { waiting: Number(waiting.n), oldestWaiting: waiting.oldest ? new Date(waiting.oldest as Date | string) : null, failed: Number(failed.n), recentFailures };
    },

    /** The demo inbox: sent emails, newest first, and any row whose Message-ID the catcher holds. */
    async listForInbox(db: DbOrTx, caughtMessageIds: string[], limit: number) {
      return db
        .selectFrom('outbox')
        .select(['id', 'template', 'to_address', 'cc_addresses', 'params', 'message_id', 'status', 'sent_at', 'created_at'])
        .where((eb) => (caughtMessageIds.length > 0 ? eb.or([eb('status', '=', 'sent'), eb('message_id', 'in', caughtMessageIds)]) : eb('status', '=', 'sent')))
        .orderBy('sent_at', (ob) => ob.desc().nullsFirst())
        .orderBy('created_at', 'desc')
        .limit(limit)
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
