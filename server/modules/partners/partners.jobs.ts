import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';
import type { Attention } from './partners.attention.ts';
import type { SecretExpiry } from './partners.secrets.ts';

/**
 * Every 15 minutes: findings open for three days (not fixed) are emailed once to the secondary
 * contact. Safe with any number of workers: each finding is claimed by one conditional update.
 */
export const attentionEscalateJob = defineJob({
  name: 'partners.attention-escalate',
  payload: z.object({}).passthrough(),
  queue: { policy: 'singleton', retryLimit: 3, retryDelay: 60, expireInSeconds: 300 },
  worker: { batchSize: 1, pollingIntervalSeconds: 30 },
  schedule: { cron: '*/15 * * * *' },
  async handler(deps: { attention: Attention }, _payload, run) {
    const sent = await deps.attention.escalateDue();
    if (sent > 0) run.logger.info({ sent }, 'open findings escalated to the secondary contact');
  },
});


/** Daily: the partners' secrets are read again and the reminders due are sent (each once). */
export const secretExpiryJob = defineJob({
  name: 'partners.secret-expiry',
  payload: z.object({}).passthrough(),
  queue: { policy: 'singleton', retryLimit: 3, retryDelay: 300, expireInSeconds: 3600 },
  worker: { batchSize: 1, pollingIntervalSeconds: 30 },
  schedule: { cron: '41 6 * * *' },
  async handler(deps: { secretExpiry: SecretExpiry }, _payload, run) {
    run.logger.info(await deps.secretExpiry.runDaily(), 'secret expiry checked');
  },
});

export const partnersJobs = [attentionEscalateJob, secretExpiryJob] as const;
