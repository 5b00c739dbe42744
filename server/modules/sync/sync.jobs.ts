import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';

/** Imports a partner's customers from Partner Center; one active run per partner (singleton key). */
export const syncCustomersJob = defineJob({
  name: 'sync.customers',
  payload: z.object({ partnerId: z.uuid(), reason: z.enum(['first_connect', 'scheduled', 'operator', 'retry']) }),
  queue: { policy: 'stately', retryLimit: 20, retryDelay: 30, retryBackoff: true, expireInSeconds: 3600 },
});
