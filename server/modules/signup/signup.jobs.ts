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

/**
 * A public request for a new confirmation email or signup link. The HTTP request only queues this
 * job, known address or not; here the address is looked up and the email issued (or nothing).
 */
export const linkRequestJob = defineJob({
  name: 'signup.link-request',
  payload: z.object({ kind: z.enum(['verification', 'signup_link']), email: z.string(), ip: z.string(), userAgent: z.string() }),
  queue: { retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 120 },
  worker: { batchSize: 5, pollingIntervalSeconds: 5 },
  async handler(deps: { signup: SignupService }, payload) {
    const meta = { ip: payload.ip, userAgent: payload.userAgent };
    if (payload.kind === 'verification') await deps.signup.resendVerification(payload.email, meta);
    else await deps.signup.sendNewSignupLink(payload.email, meta);
  },
});

export const signupJobs = [expireLinksJob, linkRequestJob] as const;
