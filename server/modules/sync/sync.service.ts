import { randomUUID } from 'node:crypto';
import { transactionWithRetry } from '../../db/connection-errors.ts';
import type { Db, DbOrTx } from '../../db/database.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import { type Clock } from '../../lib/clock.ts';
import { AppError, ConflictError, UnavailableError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { MailService } from '../mail/mail.service.ts';
import type { MicrosoftCredentials, PartnerCenterSession } from '../microsoft/microsoft.credentials.ts';
import { classifyFailure, type Failure } from '../microsoft/microsoft.failures.ts';
import { createMicrosoftHttp } from '../microsoft/microsoft.http.ts';
import { PartnerCenterError, createPartnerCenterClient, type PcCustomerPage } from '../microsoft/partner-center.client.ts';
import type { Attention, FindingOrigin } from '../partners/partners.attention.ts';
import { syncFailureOutcome } from '../partners/partners.fns.ts';
import type { PartnerLifecycle } from '../partners/partners.service.ts';
import { syncableStates } from '../partners/partners.transitions.ts';
import { createTokenBucket, signStatusKey, type TokenBucket } from './sync.fns.ts';
import { syncCustomersJob } from './sync.jobs.ts';
import type { GdapReader } from './sync.gdap.ts';
import type { PartnerLock } from './sync.lock.ts';
import type { SyncPartner, SyncPartners } from './sync.partners.ts';
import type { SyncRepo, SyncRun } from './sync.repo.ts';

// The customer import. A run reads Partner Center's customer list page by page; after
// each page ONE transaction upserts its customers and stores the continuation point and counts, so
// a run killed at any moment resumes from its last stored page (upserts make a repeated page
// harmless). One run per partner at a time (partner lock + a unique index on running runs), at
// most `requestsPerMinute` requests (token bucket), Retry-After obeyed, one MS-CorrelationId per
// run in every log line. Tokens are never logged.

export interface SyncOptions {
  /** Partner Center budget per partner (Microsoft documents 500 requests per minute). */
  requestsPerMinute: number;
  /** Customers per page asked of Partner Center (it may answer with fewer). */
  pageSize: number;
  /** How long the status link in emails works. */
  statusLinkDays: number;
}

export const defaultSyncOptions: SyncOptions = { requestsPerMinute: 500, pageSize: 500, statusLinkDays: 30 };

export type SyncReason = 'first_connect' | 'scheduled' | 'operator' | 'retry' | 'resume';

/** The run stopped because its row is no longer running (another worker ended it). */
class RunTakenOver extends Error {}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Partner Center refused the continuation token of the page asked for (`cause`: its answer). */
class ContinuationRefused extends Error {
  constructor(override readonly cause: unknown) {
    super('Partner Center no longer accepts the continuation point');
  }
}

export function createSyncService(deps: {
  db: Db;
  repo: SyncRepo;
  partners: SyncPartners;
  lock: PartnerLock;
  lifecycle: Pick<PartnerLifecycle, 'markSyncing' | 'markActive' | 'markSyncFailed' | 'clearAttention'>;
  attention: Pick<Attention, 'raise' | 'resolve' | 'openFinding' | 'stillFailing'>;
  /** Checks other modules own, by the origin of the finding (the import's own check is `probe`). */
  recheck: Record<Exclude<FindingOrigin, 'sync'>, (partnerId: string) => Promise<Failure | undefined>>;
  mail: Pick<MailService, 'queue'>;
  audit: AuditService;
  credentials: Pick<MicrosoftCredentials, 'partnerCenterSession'>;
  queue: JobQueue;
  partnerCenterUrl: string;
  clock: Clock;
  logger: Logger;
  statusKeyKey: Buffer;
  /** After a completed import: which customers GDAP lets TotalOne administer (never fails the import). */
  gdap?: Pick<GdapReader, 'refresh'>;
  options?: Partial<SyncOptions>;
}) {
  const { db, repo, partners, lock, lifecycle, attention, mail, audit, clock, logger } = deps;
  const options: SyncOptions = { ...defaultSyncOptions, ...deps.options };

  // Requests and 429s per run, also those the HTTP layer retried on its own (it reports them here).
  const counters = new Map<string, { requests: number; throttled: number }>();
  const buckets = new Map<string, TokenBucket>();
  const http = createMicrosoftHttp({
    timeoutMs: 30_000,
    maxAttempts: 6,
    maxDelayMs: 60_000,
    logger: {
      warn(fields, message) {
        logger.warn(fields, message);
        const counter = counters.get(String(fields.correlationId));
        if (!counter || fields.willRetry === false) return;
        counter.requests += 1;
        if (fields.status === 429) counter.throttled += 1;
      },
    },
  });
  const partnerCenter = createPartnerCenterClient({ baseUrl: deps.partnerCenterUrl, http });

  function bucketFor(partnerId: string): TokenBucket {
    let bucket = buckets.get(partnerId);
    if (!bucket) {
      bucket = createTokenBucket({ perMinute: options.requestsPerMinute });
      buckets.set(partnerId, bucket);
    }
    return bucket;
  }

  function statusKey(partnerId: string): { statusKey: string; expiresAt: Date } {
    const expiresAt = new Date(clock.now().getTime() + options.statusLinkDays * 86_400_000);
    return { statusKey: signStatusKey(deps.statusKeyKey, partnerId, expiresAt), expiresAt };
  }

  /** Partner Center user tokens of the service account, from the credential owner. */
  async function accessTokens(partnerId: string): Promise<PartnerCenterSession> {
    const app = await partners.partnerCenterApp(db, partnerId);
    if (!app) throw new AppError(409, 'NOT_CONNECTED', 'The Microsoft connection of this partner is not complete.');
    return deps.credentials.partnerCenterSession(partnerId, { tenantId: app.tenantId, partnerCenterWebAppId: app.webAppId });
  }

  async function fetchPage(run: SyncRun, tokens: PartnerCenterSession, continuationToken: string | undefined, log: Logger): Promise<PcCustomerPage> {
    const bucket = bucketFor(run.partner_id);
    const counter = counters.get(run.correlation_id)!;
    // One MS-RequestId per page: repeating the page after a refusal or an outage sends the same one.
    const requestId = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const token = await tokens.get();
      await bucket.take();
      counter.requests += 1;
      try {
        return await partnerCenter.customersPage(token, { size: options.pageSize, ...(continuationToken ? { continuationToken } : {}) }, { correlationId: run.correlation_id, requestId });
      } catch (error) {
        if (!(error instanceof PartnerCenterError)) throw error;
        const status = error.partnerCenterStatus;
        if (status === 401 && String(error.partnerCenterCode) !== '900421' && attempt < 3) {
          tokens.invalidate(); // expired early or revoked: a fresh token tells which
          continue;
        }
        if (status === 429 && attempt < 8) {
          // Longer than the HTTP layer waits on its own: still Microsoft's word, so we wait it out.
          const waitMs = Number(error.details.retryAfterSeconds ?? 30) * 1000;
          counter.throttled += 1;
          bucket.pauseFor(waitMs);
          log.warn({ waitMs, attempt }, 'Partner Center throttled the customer import; waiting as asked');
          continue;
        }
        if (status >= 500 && attempt < 4) {
          const waitMs = 1000 * 2 ** (attempt - 1) * (1 + Math.random() / 2);
          log.warn({ status, waitMs, attempt }, 'Partner Center failed a customer page; retrying');
          await sleep(waitMs);
          continue;
        }
        throw error;
      }
    }
  }

  async function startOrResume(partner: SyncPartner, reason: SyncReason, jobId: string | null): Promise<SyncRun | undefined> {
    const running = await repo.runningRun(db, partner.id);
    if (running) {
      await repo.updateRunning(db, running.id, { active_job_id: jobId, updated_at: clock.now() });
      return running;
    }
    if (reason === 'resume') return undefined;
    // A retry of a job whose run already finished: its work is done.
    if (jobId && (await repo.runStartedByJob(db, jobId))) return undefined;
    const previous = await repo.lastCompletedRun(db, partner.id);
    return db.transaction().execute(async (tx) => {
      const run = await repo.insertRun(tx, { partnerId: partner.id, reason, correlationId: randomUUID(), jobId, estimatedTotal: previous?.total_count ?? null, now: clock.now() });
      await lifecycle.markSyncing(tx, partner.id, { unlessIn: ['syncing', 'active'], details: { runId: run.id } });
      await audit.record(tx, { actorType: 'system', partnerId: partner.id, action: 'sync.started', details: { runId: run.id, reason, correlationId: run.correlation_id } });
      return run;
    });
  }

  async function readAll(run: SyncRun, partner: SyncPartner, log: Logger, signal: AbortSignal): Promise<void> {
    const counter = { requests: 0, throttled: 0 };
    counters.set(run.correlation_id, counter);
    const tokens = await accessTokens(partner.id);
    let persisted = { requests: 0, throttled: 0 };
    /** A page; a continuation token Partner Center no longer accepts is told apart from other refusals. */
    const pageFrom = (continuationToken: string | undefined) =>
      fetchPage(run, tokens, continuationToken, log).catch((error) => {
        if (continuationToken && classifyFailure(error, { continuation: true }).restartRun) throw new ContinuationRefused(error);
        throw error;
      });
    let restarts = 0;
    // Pages the run has stored so far: only this holder of the partner's lock adds to them.
    let pagesStored = run.pages;
    try {
      let pending = pageFrom(run.continuation_token ?? undefined);
      for (;;) {
        let page: PcCustomerPage;
        try {
          page = await pending;
        } catch (error) {
          if (!(error instanceof ContinuationRefused)) throw error;
          // The stored continuation point expired (e.g. the run waited long between pages): the
          // list is read again from its first page within the same run. Customers are upserted,
          // so those already stored are written once more, never twice.
          if (restarts >= 2) throw error.cause;
          restarts += 1;
          log.warn({ restarts, pagesBefore: run.pages }, 'Partner Center no longer accepts the stored continuation point; reading the customer list again from its first page');
          await audit.record(db, { actorType: 'system', partnerId: partner.id, action: 'sync.restarted_from_first_page', details: { runId: run.id, reason: 'continuation_refused' } });
          pending = pageFrom(undefined);
          continue;
        }
        const next = page.continuationToken;
        // The next page is read while this one is written; a crash in between re-reads it.
        if (next) {
          pending = pageFrom(next);
          pending.catch(() => {});
        }
        const now = clock.now();
        const delta = { requests: counter.requests - persisted.requests, throttled: counter.throttled - persisted.throttled };
        // The partner lock was lost for good (another worker holds it now): stop before writing.
        if (signal.aborted) throw new RunTakenOver();
        // One transaction per page: a dropped database connection rolls it back whole, so it is
        // simply written again on a new connection. A connection dropped during its COMMIT: the
        // run's page count tells whether the page was stored.
        const expectedPages = pagesStored + 1;
        await transactionWithRetry(
          db,
          'customer page',
          async (tx) => {
            await repo.upsertCustomers(tx, partner.id, run.id, page.items, now);
            const recorded = await repo.recordPage(tx, run.id, { continuationToken: next ?? null, customers: page.items.length, ...delta, now });
            if (!recorded) throw new RunTakenOver();
            if (!next) await complete(tx, run, partner, now);
          },
          { logger: log, committed: async () => (await repo.runPages(db, run.id)) === expectedPages },
        );
        pagesStored = expectedPages;
        persisted = { requests: persisted.requests + delta.requests, throttled: persisted.throttled + delta.throttled };
        log.debug({ customers: page.items.length, more: Boolean(next) }, 'customer page stored');
        if (!next) return;
      }
    } finally {
      counters.delete(run.correlation_id);
    }
  }

  async function complete(tx: DbOrTx, run: SyncRun, partner: SyncPartner, now: Date) {
    const removed = await repo.markUnseenRemoved(tx, partner.id, run.id, now);
    const total = await repo.countSeenBy(tx, partner.id, run.id);
    await repo.updateRunning(tx, run.id, { status: 'completed', total_count: total, continuation_token: null, finished_at: now, updated_at: now, error: null });
    const activated = await lifecycle.markActive(tx, partner.id, { unlessIn: ['active'], details: { runId: run.id } });
    if (activated) {
      const { primary, secondary } = await partners.contacts(tx, partner.id);
      const link = statusKey(partner.id);
      // Keyed per partner: the confirmation can never go out twice, whatever retries happen.
      await mail.queue(tx, {
        template: 'sync_completed',
        to: primary.email,
        ...(secondary ? { cc: [secondary.email] } : {}),
        partnerId: partner.id,
        params: { firstName: primary.firstName, companyName: partner.companyName, reference: partner.reference, customerCount: total, completedAt: now.toISOString(), statusLinkExpiresAt: link.expiresAt.toISOString() },
        secrets: { statusKey: link.statusKey },
        idempotencyKey: `sync-completed:${partner.id}`,
      });
    }
    await audit.record(tx, { actorType: 'system', partnerId: partner.id, action: 'sync.completed', details: { runId: run.id, customers: total, removed, activated } });
  }

  async function failForReconnect(run: SyncRun, partner: SyncPartner, failure: Failure, log: Logger) {
    const message = `${failure.problem} ${failure.fix}`;
    const aadsts = /^AADSTS(\d+)$/.exec(failure.code)?.[1];
    const now = clock.now();
    await db.transaction().execute(async (tx) => {
      await repo.updateRunning(tx, run.id, { status: 'failed', finished_at: now, updated_at: now, error: JSON.stringify({ code: 'RECONNECT_REQUIRED', message, retrying: false, at: now.toISOString() }) });
      await lifecycle.markSyncFailed(tx, partner.id, { details: { runId: run.id, code: failure.code } });
      const { primary } = await partners.contacts(tx, partner.id);
      const app = await partners.partnerCenterApp(tx, partner.id);
      const link = statusKey(partner.id);
      await mail.queue(tx, {
        template: 'sync_failed_reconnect',
        to: primary.email,
        partnerId: partner.id,
        params: { firstName: primary.firstName, companyName: partner.companyName, reference: partner.reference, aadsts: aadsts ? Number(aadsts) : null, problem: failure.problem, serviceAccount: app?.upn ?? null, statusLinkExpiresAt: link.expiresAt.toISOString() },
        secrets: { statusKey: link.statusKey },
        idempotencyKey: `sync-reconnect:${run.id}`,
      });
      await audit.record(tx, { actorType: 'system', partnerId: partner.id, action: 'sync.failed', details: { runId: run.id, code: failure.code, aadsts: aadsts ? Number(aadsts) : undefined, reconnectRequired: true } });
      // The finding shows on the status page and in the console, and reaches the secondary
      // contact if nobody reconnects; the reconnect email above is the primary contact's.
      await attention.raise(tx, partner.id, { origin: 'sync', failure }, { moveState: false, notifyPrimary: false });
    });
    log.warn({ code: failure.code }, 'customer import stopped: the stored Microsoft sign-in is no longer valid; the partner must reconnect');
  }

  /**
   * Microsoft refused something only the partner can fix (not the sign-in): no more retries, the
   * partner needs attention with the finding and its fix, the primary contact gets one email.
   */
  async function stopForAttention(run: SyncRun, partner: SyncPartner, failure: Failure, log: Logger) {
    const now = clock.now();
    await db.transaction().execute(async (tx) => {
      await repo.updateRunning(tx, run.id, {
        status: 'failed',
        finished_at: now,
        updated_at: now,
        error: JSON.stringify({ code: 'PARTNER_ACTION_REQUIRED', message: `${failure.problem} ${failure.fix}`, retrying: false, at: now.toISOString() }),
      });
      await audit.record(tx, { actorType: 'system', partnerId: partner.id, action: 'sync.failed', details: { runId: run.id, code: failure.code, source: failure.source ?? null, partnerActionRequired: true } });
      await attention.raise(tx, partner.id, { origin: 'sync', failure });
    });
    log.warn({ code: failure.code, source: failure.source }, 'customer import stopped: Microsoft refused something only the partner can fix; no retries until it is fixed');
  }

  /**
   * Microsoft, asked once with the stored credentials (token renewal and one small customer
   * page): `undefined` when it answers, else how it refused.
   */
  async function probe(partnerId: string): Promise<Failure | undefined> {
    try {
      const tokens = await accessTokens(partnerId);
      await partnerCenter.customersPage(await tokens.get(), { size: 1 }, { correlationId: randomUUID(), requestId: randomUUID() });
      return undefined;
    } catch (error) {
      return classifyFailure(error);
    }
  }

  /** Runs the import; answers the run's logger when it completed. */
  async function runLocked(partnerId: string, reason: SyncReason, jobId: string | null, signal: AbortSignal): Promise<Logger | undefined> {
    const partner = await partners.partner(db, partnerId);
    if (!partner) return;
    if (!syncableStates.includes(partner.state)) {
      // A run left over from before (e.g. the partner was suspended mid-import) ends here, or
      // recovery would keep handing it to workers.
      const stale = await repo.runningRun(db, partnerId);
      if (stale) {
        const now = clock.now();
        await repo.updateRunning(db, stale.id, { status: 'failed', finished_at: now, updated_at: now, error: JSON.stringify({ code: 'NOT_CONNECTED', message: 'The import stopped because the account is not connected any more.', retrying: false, at: now.toISOString() }) });
      }
      logger.info({ partnerId, state: partner.state, reason }, 'customer import skipped: the partner is not connected');
      return;
    }
    const run = await startOrResume(partner, reason, jobId);
    if (!run) return;
    const log = logger.child({ partnerId, runId: run.id, correlationId: run.correlation_id });
    log.info({ reason, jobId, resumedAtPage: run.pages, customersSoFar: run.customers_seen }, run.pages > 0 ? 'customer import resumed' : 'customer import started');
    const startedAt = performance.now();
    try {
      await readAll(run, partner, log, signal);
      log.info({ ms: Math.round(performance.now() - startedAt) }, 'customer import completed');
      const finished = await repo.latestRun(db, partner.id);
      const before = run.estimated_total ?? 0;
      if (finished?.total_count !== null && finished?.total_count !== undefined && Math.abs(finished.total_count - before) > Math.max(1000, before / 10)) {
        await repo.analyzeCustomers(db).catch((error) => log.warn({ err: error }, 'ANALYZE customers failed'));
      }
      return log;
    } catch (error) {
      if (error instanceof RunTakenOver) {
        log.warn('customer import ended: the run was finished elsewhere');
        return;
      }
      const failure = classifyFailure(error);
      // Retrying cannot help: the job ends here (no retry) and people are told.
      const outcome = syncFailureOutcome(failure);
      if (outcome !== 'retry') {
        if (outcome === 'reconnect') await failForReconnect(run, partner, failure, log);
        else await stopForAttention(run, partner, failure, log);
        return;
      }
      const now = clock.now();
      const message = error instanceof AppError ? error.message : 'Something went wrong on our side while reading your customers.';
      await repo
        .updateRunning(db, run.id, { updated_at: now, error: JSON.stringify({ code: error instanceof AppError ? error.code : 'INTERNAL', message, retrying: true, at: now.toISOString() }) })
        .catch(() => false);
      log.warn({ err: error }, 'customer import interrupted; the job will be retried and resumes from the last stored page');
      throw error;
    }
  }

  return {
    options,

    /** The sync.customers job. Idempotent: a second job for a partner whose run is going ends at once. */
    async runJob(payload: { partnerId: string; reason: SyncReason }, jobId: string | null = null): Promise<void> {
      const outcome = await lock.withLock(payload.partnerId, (signal) => runLocked(payload.partnerId, payload.reason, jobId, signal));
      if (!outcome.acquired) {
        // The lock's holder is still ending a run that was stopped (support restarted the
        // import): this job must run after it, so it is tried again shortly.
        if (!(await repo.runningRun(db, payload.partnerId))) {
          throw new UnavailableError('SYNC_PREVIOUS_RUN_ENDING', 'The previous customer import is still ending; this one starts when it has.');
        }
        logger.info({ partnerId: payload.partnerId, jobId }, 'customer import already running in another worker; this job ends');
      }
      // GDAP is read after the lock is released: the next import need not wait for it, and a GDAP
      // write touches only the GDAP columns of customers that exist.
      const log = outcome.acquired ? outcome.value : undefined;
      if (log && deps.gdap) await deps.gdap.refresh(payload.partnerId, log).catch((error) => log.warn({ err: error }, 'GDAP relationships could not be stored'));
    },

    /**
     * Runs left `running` with nobody holding their lock belong to a worker that died: its pg-boss
     * job still looks active (until it expires, an hour later), so it is cancelled and a `resume`
     * job continues the run from its stored page.
     */
    async recoverAbandoned(): Promise<number> {
      let resumed = 0;
      for (const run of await repo.runningRuns(db)) {
        if (await lock.isHeld(run.partner_id)) continue;
        const job = run.active_job_id ? await deps.queue.boss.getJobById(syncCustomersJob.name, run.active_job_id) : null;
        if (job && (job.state === 'created' || job.state === 'retry')) continue; // pg-boss will run it
        if (job?.state === 'active') await deps.queue.boss.cancel(syncCustomersJob.name, run.active_job_id!);
        const id = await deps.queue.enqueue(syncCustomersJob, { partnerId: run.partner_id, reason: 'resume' }, { singletonKey: run.partner_id });
        logger.warn({ partnerId: run.partner_id, runId: run.id, correlationId: run.correlation_id, abandonedJob: run.active_job_id, jobState: job?.state ?? 'gone', resumeJob: id }, 'customer import abandoned by a stopped worker; resuming it');
        resumed += 1;
      }
      return resumed;
    },

    /** The daily schedule: every active partner without a run in progress gets a full re-read. */
    async enqueueDaily(): Promise<number> {
      let queued = 0;
      for (const partnerId of await partners.activePartnerIds(db)) {
        if (await repo.runningRun(db, partnerId)) continue;
        if (await deps.queue.enqueue(syncCustomersJob, { partnerId, reason: 'scheduled' }, { singletonKey: partnerId })) queued += 1;
      }
      return queued;
    },

    /**
     * "Check again" (status page) and "re-run" (console): the failing check runs again with the
     * stored credentials. Fixed: the finding closes, the partner is connected again and the import
     * is queued (no new signup). Still failing: the finding says what Microsoft answers now.
     */
    async checkAgain(partnerId: string, actor: { type: 'partner' | 'operator'; id?: string | null; ip?: string | null }): Promise<{ fixed: boolean; message: string }> {
      const finding = await attention.openFinding(partnerId);
      const partner = await partners.partner(db, partnerId);
      if (!finding || partner?.state !== 'needs_attention') {
        throw new ConflictError('NOTHING_TO_CHECK', 'There is no open finding to check: nothing needs to be fixed right now. Reload the page to see the current status.');
      }
      // A finding about an expired secret is fixed when the secrets say so and the import can read again.
      const failure = (finding.origin === 'sync' ? undefined : await deps.recheck[finding.origin](partnerId)) ?? (await probe(partnerId));
      const by = actor.type === 'operator' ? `operator:${actor.id ?? ''}` : 'partner';
      if (!failure) {
        await db.transaction().execute(async (tx) => {
          await attention.resolve(tx, partnerId, by, actor);
          await lifecycle.clearAttention(tx, partnerId, { actor, details: { code: finding.code } });
          await deps.queue.enqueue(syncCustomersJob, { partnerId, reason: 'retry' }, { tx, singletonKey: partnerId });
        });
        logger.info({ partnerId, code: finding.code, by }, 'finding fixed; customer import queued again');
        return { fixed: true, message: 'Microsoft accepts the connection again. The import of your customers continues now.' };
      }
      logger.info({ partnerId, code: failure.code, kind: failure.kind, by }, 'finding checked again: not fixed');
      await db.transaction().execute(async (tx) => {
        if (failure.kind === 'partner_action') await attention.stillFailing(tx, finding, failure);
        await audit.record(tx, { actorType: actor.type, actorId: actor.id ?? null, ip: actor.ip ?? null, partnerId, action: 'attention.checked', details: { code: failure.code, kind: failure.kind, fixed: false } });
      });
      if (failure.kind === 'partner_action') return { fixed: false, message: `Microsoft still refuses: ${failure.problem} ${failure.fix}` };
      return { fixed: false, message: 'Microsoft did not answer the check just now. Please try again in a few minutes.' };
    },

    /**
     * Support ends a run in progress (inside the caller's transaction): the run is failed with
     * `code`; its worker notices at its next page (the page is not recorded) and lets go.
     */
    async endRunBySupport(tx: DbOrTx, runId: string, code: 'RESTARTED_BY_SUPPORT' | 'STOPPED_BY_SUPPORT', message: string): Promise<boolean> {
      const now = clock.now();
      return repo.updateRunning(tx, runId, { status: 'failed', finished_at: now, updated_at: now, error: JSON.stringify({ code, message, retrying: false, at: now.toISOString() }) });
    },

    /** A status link for emails sent by other modules (e.g. an operator re-sending it). */
    statusKey,
  };
}

export type SyncService = ReturnType<typeof createSyncService>;
