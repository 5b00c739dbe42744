import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';
import type { Attention } from './partners.attention.ts';
import type { DriftCheck } from './partners.drift.ts';
import type { Offboarding } from './partners.offboarding.ts';
import type { CredentialRotation } from './partners.rotation.ts';
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


/** One partner's daily drift check (singleton per partner: never two at once for one partner). */
export const driftCheckJob = defineJob({
  name: 'partners.drift-check',
  payload: z.object({ partnerId: z.uuid() }),
  queue: { policy: 'stately', retryLimit: 2, retryDelay: 600, expireInSeconds: 600 },
  worker: { batchSize: 1, pollingIntervalSeconds: 10 },
  async handler(deps: { drift: DriftCheck }, payload, run) {
    run.logger.info({ partnerId: payload.partnerId, result: await deps.drift.check(payload.partnerId) }, 'daily check ran');
  },
});

/** Daily: every connected partner's drift check is queued, each at its own time of the coming day. */
export const driftDailyJob = defineJob({
  name: 'partners.drift-daily',
  payload: z.object({}).passthrough(),
  queue: { policy: 'singleton', retryLimit: 3, retryDelay: 300, expireInSeconds: 600 },
  worker: { batchSize: 1, pollingIntervalSeconds: 30 },
  schedule: { cron: '3 0 * * *' },
  async handler(deps: { drift: DriftCheck }, _payload, run) {
    run.logger.info({ queued: await deps.drift.enqueueDaily(new Date()) }, 'daily checks queued over the day');
  },
});


/** After the retention period of an offboarded partner: its customers and contacts are deleted. */
export const offboardPurgeJob = defineJob({
  name: 'partners.offboard-purge',
  payload: z.object({ partnerId: z.uuid() }),
  queue: { retryLimit: 10, retryDelay: 600, retryBackoff: true, expireInSeconds: 600 },
  worker: { batchSize: 1, pollingIntervalSeconds: 60 },
  async handler(deps: { offboarding: Offboarding }, payload) {
    await deps.offboarding.purge(payload.partnerId);
  },
});

/**
 * An anonymous request for an "update credentials" link. The HTTP request only queues this job,
 * known address or not; here the address is looked up and the link issued to the primary contact (or nothing).
 */
export const credentialUpdateRequestJob = defineJob({
  name: 'partners.credential-update-request',
  payload: z.object({ email: z.string(), ip: z.string() }),
  queue: { retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 120 },
  worker: { batchSize: 5, pollingIntervalSeconds: 5 },
  async handler(deps: { rotation: CredentialRotation }, payload) {
    await deps.rotation.handleEmailRequest(payload.email, payload.ip);
  },
});

export const partnersJobs = [attentionEscalateJob, secretExpiryJob, driftCheckJob, driftDailyJob, offboardPurgeJob, credentialUpdateRequestJob] as const;
