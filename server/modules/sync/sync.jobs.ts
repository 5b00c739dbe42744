import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';
import type { SyncService } from './sync.service.ts';

/** Imports a partner's customers from Partner Center; one active run per partner (singleton key). */
export const syncCustomersJob = defineJob({
  name: 'sync.customers',
  // `resume` only continues a run a dead worker left behind; it never starts a new one.
  payload: z.object({ partnerId: z.uuid(), reason: z.enum(['first_connect', 'scheduled', 'operator', 'retry', 'resume']) }),
  queue: { policy: 'stately', retryLimit: 20, retryDelay: 30, retryBackoff: true, expireInSeconds: 3600 },
  // One import per worker at a time (it holds its worker for minutes); SYNC_WORKERS workers per process.
  worker: (deps: { sync: SyncService; syncWorkers: number }) => ({ batchSize: 1, pollingIntervalSeconds: 5, workers: deps.syncWorkers }),
  handler: (deps, payload, run) => deps.sync.runJob(payload, run.id),
});

/** Daily: a sync of every active partner (fresh data, and the refresh token stays alive). */
export const syncDailyJob = defineJob({
  name: 'sync.daily',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 3, retryDelay: 300, expireInSeconds: 600 },
  worker: { batchSize: 1, pollingIntervalSeconds: 30 },
  schedule: { cron: '17 3 * * *' },
  async handler(deps: { sync: SyncService }, _payload, run) {
    run.logger.info({ queued: await deps.sync.enqueueDaily() }, 'daily customer re-sync queued');
  },
});

/** Every minute: runs left `running` by a worker that died are handed to a live one. */
export const syncRecoverJob = defineJob({
  name: 'sync.recover',
  payload: z.object({}).passthrough(),
  queue: { policy: 'singleton', retryLimit: 0, expireInSeconds: 120 },
  worker: { batchSize: 1, pollingIntervalSeconds: 5 },
  schedule: { cron: '* * * * *' },
  async handler(deps: { sync: SyncService }) {
    await deps.sync.recoverAbandoned();
  },
});

export const syncJobs = [syncCustomersJob, syncDailyJob, syncRecoverJob] as const;
