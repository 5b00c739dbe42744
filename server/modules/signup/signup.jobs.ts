import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';

/** Every 15 minutes: partners whose signup link ran out move to link_expired. */
export const expireLinksJob = defineJob({
  name: 'signup.expire-links',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 3, retryDelay: 60, expireInSeconds: 300 },
});
