import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';

/** Imports a partner's customers from Partner Center; one active run per partner (singleton key). */
export const syncCustomersJob = defineJob({
  name: 'sync.customers',
  // `resume` only continues a run a dead worker left behind; it never starts a new one.
  payload: z.object({ partnerId: z.uuid(), reason: z.enum(['first_connect', 'scheduled', 'operator', 'retry', 'resume']) }),
  queue: { policy: 'stately', retryLimit: 20, retryDelay: 30, retryBackoff: true, expireInSeconds: 3600 },
});

/** Daily: a sync of every active partner (fresh data, and the refresh token stays alive). */
export const syncDailyJob = defineJob({
  name: 'sync.daily',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 3, retryDelay: 300, expireInSeconds: 600 },
});

/** Every minute: runs left `running` by a worker that died are handed to a live one. */
export const syncRecoverJob = defineJob({
  name: 'sync.recover',
  payload: z.object({}).passthrough(),
  queue: { policy: 'singleton', retryLimit: 0, expireInSeconds: 120 },
});

export const syncJobDefinitions = [syncCustomersJob, syncDailyJob, syncRecoverJob];

export const SYNC_DAILY_CRON = '17 3 * * *';
export const SYNC_RECOVER_CRON = '* * * * *';
