import type { Db, DbOrTx } from '../../db/database.ts';
import type { Partner, PartnerState } from '../../db/schema.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { PartnerDetail, PartnerListQuery } from '../../../contracts/operators.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ConnectSignIn } from '../connect/connect.signin.ts';
import type { MailService } from '../mail/mail.service.ts';
import { partnerStates } from '../../../contracts/partner-states.ts';
import { presentFinding, type Attention } from '../partners/partners.attention.ts';
import type { PartnerLifecycle } from '../partners/partners.service.ts';
import type { SecretExpiry } from '../partners/partners.secrets.ts';
import type { Offboarding } from '../partners/partners.offboarding.ts';
import type { SyncService } from '../sync/sync.service.ts';
import type { SignupService } from '../signup/signup.service.ts';
import { syncCustomersJob } from '../sync/sync.jobs.ts';
import type { Vault } from '../vault/vault.service.ts';
import type { Meta, SignedInOperator } from './operators.auth.ts';
import { availableActions, funnel, linkIssuableStates, scrubRecord } from './operators.fns.ts';
import * as present from './operators.presenters.ts';
import type { ConsoleReadModel } from './operators.readmodel.ts';
import type { OperatorsRepo } from './operators.repo.ts';

// The console's use cases: overview, signups, partner page, the audited actions, the support inbox
// and the audit log. Every action takes a reason and writes an operator audit event; state changes
// go through the signup, connect and sync modules.

const DAY = 86_400_000;
const MAX_PERIOD_DAYS = 366;

const notFound = () => new NotFoundError('PARTNER_NOT_FOUND', 'There is no signup with this ID. It may have been removed; go back to the signups list.');
const notAvailable = (what: string, state: PartnerState) => new ConflictError('ACTION_NOT_AVAILABLE', `${what} is not possible while the signup is in the state "${state}". Reload the page to see what can be done now.`);

export function createConsole(deps: {
  db: Db;
  read: ConsoleReadModel;
  repo: OperatorsRepo;
  signup: Pick<SignupService, 'issueSignupLink' | 'resendVerification' | 'revokeAllLinks' | 'setSupportRequestStatus'>;
  lifecycle: Pick<PartnerLifecycle, 'retrySync' | 'stopImport' | 'suspend'>;
  attention: Pick<Attention, 'openFinding'>;
  secretExpiry: Pick<SecretExpiry, 'nearestExpiries'>;
  offboarding: Pick<Offboarding, 'offboard'>;
  sync: Pick<SyncService, 'checkAgain' | 'endRunBySupport'>;
  signIn: Pick<ConnectSignIn, 'runPreflight'>;
  vault: Pick<Vault, 'masked'>;
  mail: Pick<MailService, 'queue' | 'deliveryOverview'>;
  queue: JobQueue;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
}) {
  const { db, read, audit, clock } = deps;

  async function lockPartner(tx: DbOrTx, id: string): Promise<Partner> {
    const partner = await tx.selectFrom('partners').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!partner) throw notFound();
    return partner;
  }

  const operatorEvent = (op: SignedInOperator, meta: Meta, partnerId: string | null, action: string, details: Record<string, unknown>) => ({
    actorType: 'operator' as const,
    actorId: op.id,
    ip: meta.ip,
    partnerId,
    action,
    details,
  });

  async function emailsOverview() {
    const emails = await deps.mail.deliveryOverview();
    return {
      ...emails,
      oldestWaitingSince: emails.oldestWaitingSince?.toISOString() ?? null,
      recentFailures: emails.recentFailures.map((f) => ({ ...f, failedAt: f.failedAt?.toISOString() ?? null })),
    };
  }

  async function activity(rows: Awaited<ReturnType<ConsoleReadModel['auditEvents']>>) {
    const emails = await read.operatorEmails(db, rows.map((r) => r.actor_id ?? '').filter(Boolean));
    return rows.map((r) => present.toActivityItem(r, emails));
  }

  async function stateOf(id: string): Promise<PartnerState> {
    const partner = await read.partner(db, id);
    if (!partner) throw notFound();
    return partner.state;
  }

  return {
    async overview(period: { from?: string | undefined; to?: string | undefined }) {
      const to = period.to ? new Date(period.to) : clock.now();
      const from = period.from ? new Date(period.from) : new Date(to.getTime() - 30 * DAY);
      if (from.getTime() >= to.getTime()) throw new ValidationError('The period is empty: "from" must be before "to".', [{ path: 'from', message: 'Must be before "to".' }]);
      if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY) throw new ValidationError(`The period can be at most ${MAX_PERIOD_DAYS} days.`, [{ path: 'from', message: `At most ${MAX_PERIOD_DAYS} days before "to".` }]);
      const rows = await read.funnelRows(db, from, to);
      const byState = Object.fromEntries(partnerStates.map((s) => [s, 0])) as Record<PartnerState, number>;
      for (const r of rows) byState[r.state] += r.n;
      const evidence = rows.map((r) => ({ state: r.state, emailVerified: r.verified, linkIssued: r.link_issued, linkClaimed: r.link_claimed, connected: r.connected, count: r.n }));
      const recent = await read.auditEvents(db, { limit: 20 });
      return {
        period: { from: from.toISOString(), to: to.toISOString() },
        byState,
        total: rows.reduce((sum, r) => sum + r.n, 0),
        funnel: funnel(evidence),
        recentActivity: await activity(recent),
        openSupportRequests: await read.countOpenSupportRequests(db),
        emails: await emailsOverview(),
      };
    },

    async listPartners(query: PartnerListQuery) {
      const { items, total } = await read.listPartners(db, query);
      return { items: items.map(present.toPartnerSummary), total, limit: query.limit, offset: query.offset };
    },

    async secretExpiries() {
      return { items: await deps.secretExpiry.nearestExpiries(50) };
    },

    async partnerDetail(id: string): Promise<PartnerDetail> {
      const partner = await read.partner(db, id);
      if (!partner) throw notFound();
      const now = clock.now();
      const [contacts, links, emails, terms, connection, preflight, syncRuns, support, events, credentials, finding] = await Promise.all([
        read.contacts(db, id),
        read.links(db, id),
        read.emails(db, id),
        read.termsAccepted(db, id),
        read.connection(db, id),
        read.preflightRuns(db, id),
        read.syncRuns(db, id),
        read.supportRequestsOfPartner(db, id),
        read.auditEvents(db, { partnerId: id, limit: 200 }),
        deps.vault.masked(id),
        deps.attention.openFinding(id),
      ]);
      const activityItems = await activity(events);
      const timeline = [
        ...activityItems.map((a) => ({ at: a.occurredAt, kind: 'audit' as const, action: a.action, actorType: a.actorType, actor: a.actor, details: a.details })),
        ...emails.map((e) => ({ at: new Date(e.created_at).toISOString(), kind: 'email' as const, action: `email.${e.template}`, actorType: null, actor: null, details: scrubRecord({ to: e.to_address, status: e.status, sentAt: e.sent_at ? new Date(e.sent_at).toISOString() : null, attempts: e.attempts }) })),
      ].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
      return {
        id: partner.id,
        reference: partner.reference,
        state: partner.state,
        company: {
          legalName: partner.legal_name,
          country: partner.country,
          street: partner.street,
          postalCode: partner.postal_code,
          city: partner.city,
          taxId: partner.tax_id,
          website: partner.website,
          mpnId: partner.mpn_id,
          entraDomain: partner.entra_domain,
        },
        emailVerifiedAt: partner.email_verified_at ? new Date(partner.email_verified_at).toISOString() : null,
        createdAt: new Date(partner.created_at).toISOString(),
        updatedAt: new Date(partner.updated_at).toISOString(),
        contacts: contacts.map((c) => ({ role: c.role, firstName: c.first_name, lastName: c.last_name, jobTitle: c.job_title, email: c.email, phone: c.phone })),
        links: links.map((l) => present.toLinkView(l, now)),
        emails: emails.map(present.toEmailView),
        termsAccepted: terms.map((t) => ({ document: t.document, version: t.version, acceptedAt: new Date(t.accepted_at).toISOString() })),
        connection: present.toConnectionView(connection),
        credentials: credentials.map(present.toCredentialView),
        preflightRuns: preflight.map(present.toPreflightView),
        syncRuns: syncRuns.map(present.toSyncRunView),
        supportRequests: support.map((s) => ({ id: s.id, reference: s.reference, status: s.status, createdAt: new Date(s.created_at).toISOString() })),
        timeline,
        attention: finding ? presentFinding(finding) : null,
        availableActions: availableActions(partner.state, { signedIn: Boolean(connection?.signed_in_at), lastSyncFailed: syncRuns[0]?.status === 'failed', running: syncRuns[0]?.status === 'running' }),
      };
    },

    // --- actions: each one reasoned and audited ---

    async resendVerification(id: string, reason: string, op: SignedInOperator, meta: Meta) {
      const partner = await read.partner(db, id);
      if (!partner) throw notFound();
      if (partner.state !== 'registered') throw notAvailable('Re-sending the confirmation email', partner.state);
      const { primary } = await contactsOf(id);
      // The signup service issues the email (and revokes the earlier confirmation link).
      await deps.signup.resendVerification(primary.email, meta);
      await audit.record(db, operatorEvent(op, meta, id, 'console.verification_resent', { reason, to: primary.email }));
      return { message: `A new confirmation email is on its way to ${primary.email}; earlier confirmation links no longer work.`, partnerState: await stateOf(id) };
    },

    async issueSignupLink(id: string, reason: string, op: SignedInOperator, meta: Meta) {
      const result = await db.transaction().execute(async (tx) => {
        const partner = await lockPartner(tx, id);
        if (!linkIssuableStates.includes(partner.state)) throw notAvailable('Issuing a new signup link', partner.state);
        const link = await deps.signup.issueSignupLink(tx, partner, `operator:${op.email}`, { type: 'operator', id: op.id, ip: meta.ip });
        await audit.record(tx, operatorEvent(op, meta, id, 'console.signup_link_issued', { reason, linkId: link.linkId, expiresAt: link.expiresAt }));
        return link;
      });
      return { message: `A new signup link was emailed to the primary contact; it expires ${result.expiresAt.toISOString()}. Every earlier link stopped working.`, partnerState: await stateOf(id) };
    },

    async rerunPreflight(id: string, reason: string, op: SignedInOperator, meta: Meta) {
      const state = await stateOf(id);
      if (state === 'suspended' || state === 'offboarded') throw notAvailable('Re-running the checks', state);
      const result = await deps.signIn.runPreflight(id, `operator:${op.id}`);
      const failed = result.checks.filter((c) => c.status === 'failed').map((c) => c.id);
      await audit.record(db, operatorEvent(op, meta, id, 'console.preflight_rerun', { reason, allRequiredPassed: result.allRequiredPassed, failed }));
      return { message: result.allRequiredPassed ? 'The checks ran again: every required check passed.' : `The checks ran again; failing: ${failed.join(', ') || 'none (warnings only)'}.`, partnerState: await stateOf(id) };
    },

    async restartSync(id: string, reason: string, op: SignedInOperator, meta: Meta) {
      await db.transaction().execute(async (tx) => {
        const partner = await lockPartner(tx, id);
        const lastRun = (await read.syncRuns(tx, id))[0];
        const running = lastRun?.status === 'running' && ['connected', 'syncing', 'active'].includes(partner.state);
        const failed = partner.state === 'sync_failed' || (lastRun?.status === 'failed' && (partner.state === 'connected' || partner.state === 'active'));
        if (!failed && !running) throw notAvailable('Restarting the customer import', partner.state);
        if (running) {
          // The run in progress ends here; its worker sees that at its next page and stops, and
          // the new run starts from the first page once it has.
          await deps.sync.endRunBySupport(tx, lastRun!.id, 'RESTARTED_BY_SUPPORT', 'Support restarted the import; a new run reads every customer again.');
        }
        // Back to connected: the sync moves it to syncing and, when done, to active.
        if (partner.state === 'sync_failed') await deps.lifecycle.retrySync(tx, id, { actor: { type: 'operator', id: op.id, ip: meta.ip }, details: { reason } });
        await deps.queue.enqueue(syncCustomersJob, { partnerId: id, reason: 'operator' }, { tx, singletonKey: id });
        await audit.record(tx, operatorEvent(op, meta, id, 'console.sync_restarted', { reason, previousState: partner.state, lastRunId: lastRun?.id ?? null }));
      });
      return { message: 'The customer import was queued again; its progress shows on this page.', partnerState: await stateOf(id) };
    },

    /** Support stops the import in progress: its run ends at its next page, waiting imports are cancelled. */
    async stopSync(id: string, reason: string, op: SignedInOperator, meta: Meta) {
      await db.transaction().execute(async (tx) => {
        const partner = await lockPartner(tx, id);
        const lastRun = (await read.syncRuns(tx, id))[0];
        if (lastRun?.status !== 'running' || !['connected', 'syncing', 'active'].includes(partner.state)) throw notAvailable('Stopping the customer import', partner.state);
        await deps.sync.endRunBySupport(tx, lastRun.id, 'STOPPED_BY_SUPPORT', 'Support stopped the import; it continues when support restarts it.');
        const cancelled = await deps.queue.cancelWaiting(syncCustomersJob, 'partnerId', id, tx);
        // A first import stopped: connected, waiting for a restart. An active partner stays active.
        if (partner.state === 'syncing') await deps.lifecycle.stopImport(tx, id, { actor: { type: 'operator', id: op.id, ip: meta.ip }, details: { reason, runId: lastRun.id } });
        await audit.record(tx, operatorEvent(op, meta, id, 'console.sync_stopped', { reason, runId: lastRun.id, cancelledJobs: cancelled }));
      });
      return { message: 'The customer import stops at its next page. Restart it from this page when it should continue.', partnerState: await stateOf(id) };
    },

    /** Support re-runs the failing check of the open finding (the partner's "Check again"); when it passes the import resumes. */
    async recheckAttention(id: string, reason: string, op: SignedInOperator, meta: Meta) {
      const state = await stateOf(id);
      if (state !== 'needs_attention') throw notAvailable('Re-running the failing check', state);
      const result = await deps.sync.checkAgain(id, { type: 'operator', id: op.id, ip: meta.ip });
      await audit.record(db, operatorEvent(op, meta, id, 'console.attention_rechecked', { reason, fixed: result.fixed }));
      return { message: result.fixed ? 'The check passed: the finding is closed and the customer import is queued again.' : result.message, partnerState: await stateOf(id) };
    },

    /** The partner leaves: syncs stop, credentials destroyed, both contacts told, data deleted after the retention period. */
    async offboard(id: string, reason: string, op: SignedInOperator, meta: Meta) {
      const facts = await db.transaction().execute(async (tx) => {
        const partner = await lockPartner(tx, id);
        if (partner.state === 'offboarded') throw notAvailable('Offboarding', partner.state);
        const result = await deps.offboarding.offboard(tx, id, { type: 'operator', id: op.id, ip: meta.ip }, reason);
        await audit.record(tx, operatorEvent(op, meta, id, 'console.partner_offboarded', { reason, previousState: partner.state, ...result }));
        return result;
      });
      return {
        message: `The partner is offboarded: ${facts.credentialsDestroyed} stored credential(s) destroyed, its links and sessions stopped, both contacts told. Its customers and contacts are deleted on ${facts.deleteAfter.slice(0, 10)}.`,
        partnerState: 'offboarded' as const,
      };
    },

    async suspend(id: string, reason: string, op: SignedInOperator, meta: Meta) {
      await db.transaction().execute(async (tx) => {
        const partner = await lockPartner(tx, id);
        if (partner.state === 'suspended') throw notAvailable('Suspending', partner.state);
        await deps.lifecycle.suspend(tx, id, { actor: { type: 'operator', id: op.id, ip: meta.ip }, details: { reason } });
        const linksRevoked = await deps.signup.revokeAllLinks(tx, id, 'partner_suspended');
        await audit.record(tx, operatorEvent(op, meta, id, 'console.partner_suspended', { reason, previousState: partner.state, linksRevoked }));
      });
      return { message: 'The signup is suspended; its open links no longer work.', partnerState: 'suspended' as const };
    },

    // --- support inbox ---

    async listSupport(filter: Parameters<ConsoleReadModel['listSupportRequests']>[1]) {
      const { items, total } = await read.listSupportRequests(db, filter);
      return { items: items.map(present.toSupportItem), total, limit: filter.limit, offset: filter.offset };
    },

    supportDetail,

    async replySupport(id: string, input: { message: string; markHandled: boolean }, op: SignedInOperator, meta: Meta) {
      await db.transaction().execute(async (tx) => {
        const request = await read.supportRequest(tx, id);
        if (!request) throw new NotFoundError('SUPPORT_REQUEST_NOT_FOUND', 'There is no support request with this ID.');
        const now = clock.now();
        const reply = await deps.repo.insertReply(tx, { requestId: id, operatorId: op.id, message: input.message, now });
        const outboxId = await deps.mail.queue(tx, {
          template: 'support_reply',
          to: request.email,
          partnerId: request.partner_id,
          params: { firstName: request.name, name: request.name, reference: request.reference, reply: input.message, originalMessage: request.message.slice(0, 2000) },
          idempotencyKey: `support-reply:${reply.id}`,
        });
        await deps.repo.setReplyOutbox(tx, reply.id, outboxId ?? null);
        const handled = input.markHandled ? await deps.signup.setSupportRequestStatus(tx, id, 'handled') : false;
        await audit.record(tx, operatorEvent(op, meta, request.partner_id, 'console.support_replied', { requestId: id, reference: request.reference, replyId: reply.id, markedHandled: handled }));
      });
      return supportDetail(id);
    },

    async setSupportHandled(id: string, handled: boolean, reason: string | undefined, op: SignedInOperator, meta: Meta) {
      await db.transaction().execute(async (tx) => {
        const request = await read.supportRequest(tx, id);
        if (!request) throw new NotFoundError('SUPPORT_REQUEST_NOT_FOUND', 'There is no support request with this ID.');
        if (await deps.signup.setSupportRequestStatus(tx, id, handled ? 'handled' : 'open')) {
          await audit.record(tx, operatorEvent(op, meta, request.partner_id, handled ? 'console.support_handled' : 'console.support_reopened', { requestId: id, reference: request.reference, ...(reason ? { reason } : {}) }));
        }
      });
      return supportDetail(id);
    },

    // --- audit log ---

    async searchAudit(filter: Omit<Parameters<ConsoleReadModel['auditEvents']>[1], 'from' | 'to'> & { from?: string | undefined; to?: string | undefined }) {
      const rows = await read.auditEvents(db, { ...filter, from: filter.from ? new Date(filter.from) : undefined, to: filter.to ? new Date(filter.to) : undefined });
      return { items: await activity(rows), nextCursor: rows.length === filter.limit ? Number(rows.at(-1)!.id) : null };
    },
  };

  async function supportDetail(id: string) {
    const row = await read.supportRequest(db, id);
    if (!row) throw new NotFoundError('SUPPORT_REQUEST_NOT_FOUND', 'There is no support request with this ID.');
    const replies = await deps.repo.replies(db, id);
    return {
      ...present.toSupportItem(row),
      replies: replies.map((r) => ({ id: r.id, operator: r.operator_email, message: r.message, createdAt: new Date(r.created_at).toISOString(), emailStatus: r.email_status ?? null })),
    };
  }

  async function contactsOf(id: string) {
    const contacts = await read.contacts(db, id);
    const primary = contacts.find((c) => c.role === 'primary');
    if (!primary) throw notFound();
    return { primary };
  }
}

export type Console = ReturnType<typeof createConsole>;
