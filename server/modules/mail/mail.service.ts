import { randomUUID } from 'node:crypto';
import { retryOnConnectionLoss } from '../../db/connection-errors.ts';
import type { Db, DbOrTx } from '../../db/database.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AppSealer } from '../vault/vault.appkeys.ts';
import { sendEmailJob } from './mail.jobs.ts';
import type { MailRepo } from './mail.repo.ts';
import { renderMail, type MailContext, type TemplateName, type TypedTemplateParams } from './mail.templates.ts';
import { isPermanentRefusal, type MailTransport } from './mail.transport.ts';

interface QueueEmailBase {
  to: string;
  cc?: string[];
  partnerId?: string | null;
  /** Link tokens: sealed in the outbox and erased once the email is sent. */
  secrets?: Record<string, string>;
  /** Same key -> the same email only once (the unique index refuses a second row). */
  idempotencyKey?: string;
}

/** Shown in the email; stored in the outbox as they are, so nothing secret goes here. Typed templates take exactly their parameters. */
type ParamsOf<T extends TemplateName> = TypedTemplateParams[T];

export type QueueEmail = { [T in TemplateName]: QueueEmailBase & { template: T; params: ParamsOf<T> } }[TemplateName];

/**
 * A `sending` row older than this belongs to a worker that died mid-attempt (the transport's
 * timeouts end any live attempt well before): it may be taken again.
 */
export const SENDING_STALE_MS = 5 * 60_000;
/** The sweeper's backoff between attempts after a job gave up: doubling from 30 s, at most an hour, for as long as it takes. */
export function nextAttemptDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, Math.min(attempts - 1, 20)), 60 * 60_000);
}

export function createMailService(deps: {
  db: Db;
  repo: MailRepo;
  queue: JobQueue;
  transport: MailTransport;
  clock: Clock;
  logger: Logger;
  /** Seals one-time link tokens while they wait in the outbox (the app keyring's `outbox` key). */
  sealer: AppSealer;
  from: string;
  context: MailContext;
}) {
  const { repo, queue, clock, logger } = deps;
  const domain = new URL(deps.context.publicUrl).hostname || 'totalone.local';
  const staleBefore = (now: Date) => new Date(now.getTime() - SENDING_STALE_MS);

  return {
    /**
     * Writes the email to the outbox and enqueues its sending, both inside `tx`: the email exists
     * exactly when the change that causes it commits. The outbox row is the source of truth: if
     * the job is ever lost or gives up, the sweeper queues another.
     */
    async queue(tx: DbOrTx, email: QueueEmail): Promise<string | undefined> {
      const idempotencyKey = email.idempotencyKey ?? randomUUID();
      const sealedSecrets = email.secrets ? deps.sealer.seal(JSON.stringify(email.secrets), `outbox:${idempotencyKey}`) : null;
      const jobId = randomUUID();
      const id = await repo.insert(tx, {
        idempotencyKey,
        partnerId: email.partnerId ?? null,
        template: email.template,
        to: email.to,
        cc: email.cc ?? [],
        params: email.params,
        sealedSecrets,
        // Stable for every attempt: a receiving server (and the reader) can tell a repeat.
        messageId: `<${idempotencyKey}@${domain}>`,
        jobId,
      });
      if (!id) return undefined; // this email was queued before
      await queue.enqueue(sendEmailJob, { outboxId: id }, { tx, id: jobId });
      return id;
    },

    /**
     * The mail.send job. The row is marked `sending` (with its attempt number) before the SMTP
     * call, and the server's acceptance is recorded with its answer in one statement right after.
     * What remains at-least-once: a process that dies between the server's acceptance and that
     * statement leaves the row `sending`; after SENDING_STALE_MS it is sent again, with the same
     * Message-ID. A row already sent, refused, or being sent by another worker is left alone.
     */
    async deliver(outboxId: string): Promise<void> {
      const now = clock.now();
      const message = await repo.claim(deps.db, outboxId, now, staleBefore(now));
      if (!message) {
        const row = await repo.find(deps.db, outboxId);
        if (!row) logger.warn({ outboxId }, 'outbox message not found; nothing to send');
        else if (row.status === 'sending') logger.info({ outboxId }, 'email is being sent by another worker; this job ends');
        return;
      }
      const attempt = message.attempts;
      let result: Awaited<ReturnType<MailTransport['send']>>;
      try {
        const secrets = message.sealed_secrets
          ? (JSON.parse(deps.sealer.open(message.sealed_secrets, `outbox:${message.idempotency_key}`)) as Record<string, string>)
          : {};
        const rendered = renderMail(message.template, message.params, secrets, deps.context);
        result = await deps.transport.send({
          messageId: message.message_id,
          from: deps.from,
          to: message.to_address,
          cc: message.cc_addresses,
          ...rendered,
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const at = clock.now();
        if (isPermanentRefusal(error)) {
          await retryOnConnectionLoss('mark email failed', () => repo.markFailed(deps.db, outboxId, attempt, reason, at), { logger });
          logger.warn({ outboxId, template: message.template, attempt, reason }, 'the mail server refused this email for good; it is marked failed and shown in the console');
          return;
        }
        await retryOnConnectionLoss('mark email for retry', () => repo.markRetry(deps.db, outboxId, attempt, reason, new Date(at.getTime() + nextAttemptDelayMs(attempt))), { logger }).catch(
          // The row stays `sending` and is taken again once stale: nothing is lost.
          (markError) => logger.warn({ err: markError, outboxId }, 'could not record the failed attempt'),
        );
        throw error;
      }
      const response = result?.response ?? '';
      const rejected = result?.rejected ?? [];
      // Accepted by the mail server: recording that must not be lost to a dropped connection.
      await retryOnConnectionLoss('mark email sent', () => repo.markSent(deps.db, outboxId, clock.now(), rejected.length > 0 ? `${response} (refused: ${rejected.join(', ')})` : response), { logger });
      if (rejected.length > 0) logger.warn({ outboxId, template: message.template, refused: rejected.length }, 'email sent, but the mail server refused some of its recipients');
      logger.info({ outboxId, template: message.template, attempt }, 'email sent');
    },

    /**
     * The mail.sweep job: rows still waiting whose job is gone (deleted, lost) or finished without
     * sending them (it gave up after its retries) get a new job, once their backoff is over. Each
     * row is handed over with one conditional update, so two sweepers never both queue it.
     */
    async sweep(options: { limit?: number } = {}): Promise<number> {
      const now = clock.now();
      const stale = staleBefore(now);
      const due = await repo.dueForSweep(deps.db, now, stale, options.limit ?? 200);
      if (due.length === 0) return 0;
      const withJob = due.filter((row) => row.job_id !== null);
      const live = await queue.liveJobIds(sendEmailJob, withJob.map((row) => row.job_id!));
      // Rows written before jobs were named on the row: look for a job carrying their id.
      const legacy = due.filter((row) => row.job_id === null).map((row) => row.id);
      const liveLegacy = await queue.livePayloadValues(sendEmailJob, 'outboxId', legacy);
      let queued = 0;
      for (const row of due) {
        if (row.job_id ? live.has(row.job_id) : liveLegacy.has(row.id)) continue;
        const jobId = randomUUID();
        const handed = await deps.db.transaction().execute(async (tx) => {
          if (!(await repo.assignJob(tx, row.id, row.job_id, jobId, stale))) return false;
          // One attempt per sweep: the backoff between them is the sweeper's (next_attempt_at).
          await queue.enqueue(sendEmailJob, { outboxId: row.id }, { tx, id: jobId, retryLimit: 0 });
          return true;
        });
        if (handed) queued += 1;
      }
      if (queued > 0) logger.info({ queued, attemptsSoFar: due.map((r) => r.attempts) }, 'outbox: emails whose job was gone or gave up are queued again');
      return queued;
    },

    /** The console's view: what waits and since when, and what the mail server refused for good. */
    async deliveryOverview() {
      const overview = await repo.deliveryOverview(deps.db, 10);
      return {
        waiting: overview.waiting,
        oldestWaitingSince: overview.oldestWaiting,
        failed: overview.failed,
        recentFailures: overview.recentFailures.map((row) => ({
          id: row.id,
          template: row.template,
          to: row.to_address,
          lastError: row.last_error,
          failedAt: row.failed_at ? new Date(row.failed_at) : null,
          attempts: row.attempts,
          partner: row.partner_id ? { id: row.partner_id, reference: row.reference ?? '', companyName: row.legal_name ?? '' } : null,
        })),
      };
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;
