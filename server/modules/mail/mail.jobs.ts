import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';
import type { MailService } from './mail.service.ts';

/** Sends one outbox message. Idempotent: a message already sent is not sent again. */
export const sendEmailJob = defineJob({
  name: 'mail.send',
  payload: z.object({ outboxId: z.uuid() }),
  // Backoff doubles from 5 s: a mail server outage of about an hour is absorbed.
  queue: { retryLimit: 10, retryDelay: 5, retryBackoff: true, expireInSeconds: 120 },
  worker: { batchSize: 10, pollingIntervalSeconds: 0.5 },
  handler: (deps: { mail: MailService }, payload) => deps.mail.deliver(payload.outboxId),
});

export const mailJobs = [sendEmailJob] as const;
