import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';

export const sendEmailJob = defineJob({
  name: 'mail.send',
  payload: z.object({ outboxId: z.uuid() }),
  // Backoff doubles from 5 s: a mail server outage of about an hour is absorbed.
  queue: { retryLimit: 10, retryDelay: 5, retryBackoff: true, expireInSeconds: 120 },
});
