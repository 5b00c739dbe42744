import type { Db } from '../../db/database.ts';
import type { PartnerState } from '../../db/schema.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Failure } from '../microsoft/microsoft.failures.ts';
import { syncCustomersJob } from '../sync/sync.jobs.ts';
import type { Attention } from './partners.attention.ts';
import { driftCheckJob } from './partners.jobs.ts';
import { driftChanges, firstRequiredFailure, type CheckResult } from './partners.fns.ts';
import type { PartnersRepo } from './partners.repo.ts';
import type { PartnerLifecycle } from './partners.service.ts';

// The daily drift check: once a day per connected partner (each at its own time of day, one at a
// time per partner) the preflight checks that need no interactive sign-in run again with the stored
// credentials. Every run is kept (preflight_runs, the console shows them) and what changed since
// the previous run is audited (`drift.checked`). A required check that starts failing: the partner
// needs attention with the check's finding and fix (one email to the primary contact, the secondary
// after 3 days, see partners.attention.ts). A drift finding that passes again clears by itself: on
// the next run, or on "Check again".

const CHECKED: readonly PartnerState[] = ['connected', 'syncing', 'active', 'needs_attention'];

export function createDriftCheck(deps: {
  db: Db;
  repo: PartnersRepo;
  attention: Pick<Attention, 'raise' | 'resolve' | 'openFinding'>;
  lifecycle: Pick<PartnerLifecycle, 'clearAttention'>;
  /** Runs the checks with the stored credentials and keeps the run (connect's preflight). */
  runPreflight: (partnerId: string, triggeredBy: string) => Promise<{ checks: CheckResult[]; allRequiredPassed: boolean }>;
  /** The checks of the partner's latest run, before this one. */
  latestChecks: (partnerId: string) => Promise<CheckResult[] | undefined>;
  queue: JobQueue;
  audit: AuditService;
  logger: Logger;
}) {
  const { db, repo, attention, audit, logger } = deps;

  async function partnerState(partnerId: string): Promise<PartnerState | undefined> {
    return (await repo.partnerSummary(db, partnerId))?.state;
  }

  return {
    /** The `partners.drift-check` job of one partner. */
    async check(partnerId: string): Promise<'passed' | 'failing' | 'skipped'> {
      const state = await partnerState(partnerId);
      if (!state || !CHECKED.includes(state)) return 'skipped';
      const before = await deps.latestChecks(partnerId);
      const result = await deps.runPreflight(partnerId, 'drift');
      const changes = driftChanges(before, result.checks);
      const failing = firstRequiredFailure(result.checks);
      await audit.record(db, { actorType: 'system', partnerId, action: 'drift.checked', details: { allRequiredPassed: result.allRequiredPassed, changed: changes, failing: failing?.code ?? null } });
      const finding = await attention.openFinding(partnerId);
      if (failing) {
        // Another finding is open (the import's, an expired secret): it stays the one shown.
        if (finding && finding.origin !== 'drift') return 'failing';
        if (state === 'needs_attention' && !finding) return 'failing';
        await db.transaction().execute((tx) => attention.raise(tx, partnerId, { origin: 'drift', failure: failing }));
        if (!finding) logger.warn({ partnerId, code: failing.code }, 'daily check: a required check started failing; the partner needs attention');
        return 'failing';
      }
      if (finding?.origin === 'drift' && state === 'needs_attention') {
        await db.transaction().execute(async (tx) => {
          await attention.resolve(tx, partnerId, 'drift-check');
          await deps.lifecycle.clearAttention(tx, partnerId, { details: { code: finding.code, by: 'drift-check' } });
          await deps.queue.enqueue(syncCustomersJob, { partnerId, reason: 'retry' }, { tx, singletonKey: partnerId });
        });
        logger.info({ partnerId, code: finding.code }, 'daily check: the finding is fixed; customer import queued again');
      }
      return 'passed';
    },

    /** "Check again" of a drift finding: the checks run again; the first required failure, or undefined. */
    async recheck(partnerId: string): Promise<Failure | undefined> {
      const result = await deps.runPreflight(partnerId, 'check-again');
      return firstRequiredFailure(result.checks);
    },

    /** The status page: the latest run of the checks and what changed since the one before. */
    async latest(partnerId: string) {
      const [latest, previous] = await repo.latestCheckRuns(db, partnerId, 2);
      if (!latest) return null;
      const checks = latest.checks as unknown as CheckResult[];
      const titles = new Map(checks.map((c) => [c.id, c.title]));
      return {
        at: new Date(latest.finished_at).toISOString(),
        allRequiredPassed: latest.all_required_passed,
        failing: checks.filter((c) => c.required && c.status === 'failed').map((c) => c.title),
        changed: previous ? driftChanges(previous.checks as unknown as CheckResult[], checks).map((c) => ({ title: titles.get(c.id) ?? c.id, from: c.from, to: c.to })) : [],
      };
    },

    /** The daily schedule: every checked partner gets its job, at its own time of the coming day. */
    async enqueueDaily(now: Date): Promise<number> {
      let queued = 0;
      for (const partner of await repo.partnersWithSecrets(db, CHECKED)) {
        const startAfter = new Date(now.getTime() + spreadSeconds(partner.id) * 1000);
        if (await deps.queue.enqueue(driftCheckJob, { partnerId: partner.id }, { singletonKey: partner.id, startAfter })) queued += 1;
      }
      return queued;
    },
  };
}

/** A partner's own second of the day: the checks spread over 24 hours, the same each day. */
export function spreadSeconds(partnerId: string): number {
  let hash = 0;
  for (const c of partnerId) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return hash % 86_400;
}

export type DriftCheck = ReturnType<typeof createDriftCheck>;
