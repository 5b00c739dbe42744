import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';
import type { SignupService } from './signup.service.ts';

/** Every 15 minutes: partners whose signup link ran out move to link_expired. */
export const expireLinksJob = defineJob({
  name: 'signup.expire-links',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 3, retryDelay: 60, expireInSeconds: 300 },
  worker: { batchSize: 1, pollingIntervalSeconds: 5 },
  schedule: { cron: '*/15 * * * *' },
  async handler(deps: { signup: SignupService }, _payload, run) {
    const expired = await deps.signup.expireLapsedLinks();
    if (expired > 0) run.logger.info({ expired }, 'signup links expired');
  },
});

export const signupJobs = [expireLinksJob] as const;
