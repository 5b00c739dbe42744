import { mailJobs } from '../modules/mail/mail.jobs.ts';
import { partnersJobs } from '../modules/partners/partners.jobs.ts';
import { signupJobs } from '../modules/signup/signup.jobs.ts';
import { syncJobs } from '../modules/sync/sync.jobs.ts';

// Every job of the product, listed by module. Start-up creates their queues; the worker role runs
// their workers and schedules (server/app/system.ts loops over this list). A module adds a job by
// declaring it in its `<module>.jobs.ts` with `defineJob` and adding it to its list there.

export const jobRegistry = [...mailJobs, ...partnersJobs, ...signupJobs, ...syncJobs] as const;
