import { randomUUID } from 'node:crypto';
import { retryOnConnectionLoss } from '../../db/connection-errors.ts';
import type { Db, DbOrTx } from '../../db/database.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { Clock } from '../../lib/clock.ts';
import { seal, unseal } from '../../lib/crypto.ts';
import type { Logger } from '../../lib/logger.ts';
import { sendEmailJob } from './mail.jobs.ts';
import type { MailRepo } from './mail.repo.ts';
import { renderMail, type MailContext, type TemplateName } from './mail.templates.ts';
import type { MailTransport } from './mail.transport.ts';

export interface QueueEmail {
  template: TemplateName;
  to: string;
  cc?: string[];
  partnerId?: string | null;
  /** Shown in the email; stored in the outbox as they are, so nothing secret goes here. */
  params: Record<string, unknown>;
  /** Link tokens: sealed in the outbox and erased once the email is sent. */
  secrets?: Record<string, string>;
  /** Same key -> the same email only once (the unique index refuses a second row). */
  idempotencyKey?: string;
}

export function createMailService(deps: {
  db: Db;
  repo: MailRepo;
  queue: JobQueue;
  transport: MailTransport;
  clock: Clock;
  logger: Logger;
  sealKey: Buffer;
  from: string;
  context: MailContext;
}) {
  const { repo, queue, clock, logger } = deps;
  const domain = new URL(deps.context.publicUrl).hostname || 'totalone.local';

  return {
    /**
     * Writes the email to the outbox and enqueues its sending, both inside `tx`: the email exists
     * exactly when the change that causes it commits.
     */
    async queue(tx: DbOrTx, email: QueueEmail): Promise<string | undefined> {
      const idempotencyKey = email.idempotencyKey ?? randomUUID();
      const sealedSecrets = email.secrets ? seal(deps.sealKey, JSON.stringify(email.secrets), `outbox:${idempotencyKey}`) : null;
      const id = await repo.insert(tx, {
        idempotencyKey,
        partnerId: email.partnerId ?? null,
        template: email.template,
        to: email.to,
        cc: email.cc ?? [],
        params: email.params,
        sealedSecrets,
        messageId: `<${idempotencyKey}@${domain}>`,
      });
      if (!id) return undefined; // this email was queued before
      await queue.enqueue(sendEmailJob, { outboxId: id }, { tx });
      return id;
    },

    /** The mail.send job: idempotent, a message already sent is not sent again. */
    async deliver(outboxId: string): Promise<void> {
      const message = await repo.find(deps.db, outboxId);
      if (!message) {
        logger.warn({ outboxId }, 'outbox message not found; nothing to send');
        return;
      }
      if (message.status === 'sent') return;
      const secrets = message.sealed_secrets
        ? (JSON.parse(unseal(deps.sealKey, message.sealed_secrets, `outbox:${message.idempotency_key}`)) as Record<string, string>)
        : {};
      const rendered = renderMail(message.template, message.params, secrets, deps.context);
      try {
        await deps.transport.send({
          messageId: message.message_id,
          from: deps.from,
          to: message.to_address,
          cc: message.cc_addresses,
          ...rendered,
        });
      } catch (error) {
        await repo.recordAttempt(deps.db, outboxId, error instanceof Error ? error.message : String(error));
        throw error;
      }
      // Accepted by the mail server: recording that must not be lost to a dropped connection.
      await retryOnConnectionLoss('mark email sent', () => repo.markSent(deps.db, outboxId, clock.now()), { logger });
      logger.info({ outboxId, template: message.template }, 'email sent');
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;
