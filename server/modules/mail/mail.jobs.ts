import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';
import type { MailService } from './mail.service.ts';

/** Sends one outbox message. Idempotent: a message already sent (or being sent) is not sent again. */
export const sendEmailJob = defineJob({
  name: 'mail.send',
  payload: z.object({ outboxId: z.uuid() }),
  // Backoff doubles from 5 s: a mail server outage of about an hour is absorbed here; after that
  // the outbox sweeper takes over (one attempt per sweep, at most an hour apart, for days).
  // Expiry above the transport's worst case (connection, greeting and socket timeouts, about 50 s):
  // a job lost with its connection (fetched, never run) is taken again within 90 s.
  queue: { retryLimit: 10, retryDelay: 5, retryBackoff: true, expireInSeconds: 60 },
  worker: { batchSize: 10, pollingIntervalSeconds: 5 },
  handler: (deps: { mail: MailService }, payload) => deps.mail.deliver(payload.outboxId),
});

/** Every minute: outbox rows whose job is gone or gave up get a new one once their backoff is over. */
export const sweepOutboxJob = defineJob({
  name: 'mail.sweep',
  payload: z.object({}).passthrough(),
  queue: { policy: 'singleton', retryLimit: 0, expireInSeconds: 120 },
  worker: { batchSize: 1, pollingIntervalSeconds: 5 },
  schedule: { cron: '* * * * *' },
  async handler(deps: { mail: MailService }) {
    await deps.mail.sweep();
  },
});

export const mailJobs = [sendEmailJob, sweepOutboxJob] as const;
