import type { Db, DbOrTx } from '../../db/database.ts';
import type { PartnerAttention } from '../../db/schema.ts';
import { DAY, type Clock } from '../../lib/clock.ts';
import type { AuditEvent, AuditService } from '../audit/audit.service.ts';
import type { MailService } from '../mail/mail.service.ts';
import { afterFixSentence, type AfterFix, type Failure } from '../microsoft/microsoft.failures.ts';
import type { PartnersRepo } from './partners.repo.ts';
import type { PartnerLifecycle } from './partners.service.ts';

// Findings only the partner can fix (an expired secret, missing consent, a Conditional Access
// block, a missing Partner Center role, ...). Raising one moves the partner to needs_attention,
// stores the finding (code, source, message, fix) and emails the primary contact once with the
// fix; a finding still open after `secondaryAfterDays` is emailed once to the secondary contact
// (the `partners.attention-escalate` job). Each email is claimed by one conditional update in the
// transaction that queues it, and keyed in the outbox: two workers or a restart never send it twice.

export interface AttentionOptions {
  /** Days an open finding waits before the secondary contact is told. */
  secondaryAfterDays: number;
}

export const defaultAttentionOptions: AttentionOptions = { secondaryAfterDays: 3 };

export type FindingOrigin = PartnerAttention['origin'];

export interface FindingView {
  code: string;
  source: PartnerAttention['source'];
  origin: FindingOrigin;
  message: string;
  fix: string;
  /** What to do in TotalOne after the fix ('' when nothing). */
  afterFix: string;
  then: AfterFix;
  openedAt: string;
  lastCheckedAt: string;
  primaryNotifiedAt: string | null;
  secondaryNotifiedAt: string | null;
  resolvedAt: string | null;
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

export function presentFinding(row: PartnerAttention): FindingView {
  const then = row.after_fix as AfterFix;
  return {
    code: row.code,
    source: row.source,
    origin: row.origin,
    message: row.message,
    fix: row.fix,
    afterFix: afterFixSentence(then),
    then,
    openedAt: iso(row.opened_at)!,
    lastCheckedAt: iso(row.last_checked_at)!,
    primaryNotifiedAt: iso(row.primary_notified_at),
    secondaryNotifiedAt: iso(row.secondary_notified_at),
    resolvedAt: iso(row.resolved_at),
  };
}

export function createAttention(deps: {
  db: Db;
  repo: PartnersRepo;
  lifecycle: Pick<PartnerLifecycle, 'markNeedsAttention'>;
  mail: Pick<MailService, 'queue'>;
  audit: AuditService;
  clock: Clock;
  /** A status link (its key goes into the email as a secret). */
  statusLink: (partnerId: string) => { statusKey: string; expiresAt: Date };
  options?: Partial<AttentionOptions>;
}) {
  const { db, repo, mail, audit, clock } = deps;
  const options: AttentionOptions = { ...defaultAttentionOptions, ...deps.options };

  async function mailParams(tx: DbOrTx, finding: PartnerAttention) {
    const partner = await repo.partnerSummary(tx, finding.partner_id);
    if (!partner?.primary) throw new Error(`Partner ${finding.partner_id} has no primary contact`);
    const link = deps.statusLink(finding.partner_id);
    const params = {
      firstName: partner.primary.first_name,
      companyName: partner.legal_name,
      reference: partner.reference,
      code: finding.code,
      problem: finding.message,
      fix: finding.fix,
      afterFix: afterFixSentence(finding.after_fix as AfterFix),
      statusLinkExpiresAt: link.expiresAt.toISOString(),
    };
    return { partner, primary: partner.primary, secondary: partner.secondary, params, secrets: { statusKey: link.statusKey } };
  }

  return {
    options,

    /**
     * Inside the caller's transaction: the partner needs attention (unless `moveState: false`, e.g.
     * a reconnect keeps sync_failed), the finding is stored, and the primary contact is emailed
     * the fix once (unless the caller sends its own email: `notifyPrimary: false`). A finding
     * already open stays the one (no second email); its text is brought up to date.
     */
    async raise(
      tx: DbOrTx,
      partnerId: string,
      input: { origin: FindingOrigin; failure: Pick<Failure, 'code' | 'problem' | 'fix' | 'then' | 'source'> },
      flags: { moveState?: boolean; notifyPrimary?: boolean; actor?: AuditEvent['actorType'] } = {},
    ): Promise<PartnerAttention> {
      const now = clock.now();
      const { failure } = input;
      if (flags.moveState !== false) await deps.lifecycle.markNeedsAttention(tx, partnerId, { unlessIn: ['needs_attention'], details: { code: failure.code, origin: input.origin } });
      const { finding, created } = await repo.openAttention(tx, {
        partner_id: partnerId,
        origin: input.origin,
        code: failure.code,
        source: failure.source ?? null,
        message: failure.problem,
        fix: failure.fix,
        after_fix: failure.then,
        opened_at: now,
        last_checked_at: now,
        secondary_due_at: new Date(now.getTime() + options.secondaryAfterDays * DAY),
        primary_notified_at: flags.notifyPrimary === false ? now : null,
      });
      if (!created) {
        await repo.updateFinding(tx, finding.id, { code: failure.code, source: failure.source ?? null, message: failure.problem, fix: failure.fix, after_fix: failure.then, last_checked_at: now });
        return { ...finding, code: failure.code, message: failure.problem, fix: failure.fix, after_fix: failure.then };
      }
      await audit.record(tx, { actorType: flags.actor ?? 'system', partnerId, action: 'attention.opened', details: { findingId: finding.id, code: failure.code, source: failure.source ?? null, origin: input.origin } });
      if (flags.notifyPrimary !== false && (await repo.claimPrimaryNotice(tx, finding.id, now))) {
        const m = await mailParams(tx, finding);
        await mail.queue(tx, { template: 'attention_required', to: m.primary.email, partnerId, params: m.params, secrets: m.secrets, idempotencyKey: `attention:${finding.id}:primary` });
        await audit.record(tx, { actorType: 'system', partnerId, action: 'attention.primary_notified', details: { findingId: finding.id, to: m.primary.email } });
      }
      return finding;
    },

    /** The check ran again and still fails: the finding says what Microsoft answers now. */
    async stillFailing(tx: DbOrTx, finding: PartnerAttention, failure: Pick<Failure, 'code' | 'problem' | 'fix' | 'then' | 'source'>) {
      await repo.updateFinding(tx, finding.id, { code: failure.code, source: failure.source ?? null, message: failure.problem, fix: failure.fix, after_fix: failure.then, last_checked_at: clock.now() });
    },

    /** The finding is fixed: closed (the caller moves the partner on). Returns the closed finding, if one was open. */
    async resolve(tx: DbOrTx, partnerId: string, by: string, actor: { type: AuditEvent['actorType']; id?: string | null; ip?: string | null } = { type: 'system' }) {
      const finding = await repo.resolveFinding(tx, partnerId, by, clock.now());
      if (finding) await audit.record(tx, { actorType: actor.type, actorId: actor.id ?? null, ip: actor.ip ?? null, partnerId, action: 'attention.resolved', details: { findingId: finding.id, code: finding.code, by } });
      return finding;
    },

    openFinding: (partnerId: string, tx: DbOrTx = db) => repo.openFinding(tx, partnerId),
    findings: (partnerId: string, tx: DbOrTx = db) => repo.findings(tx, partnerId),

    /**
     * The escalation job: every open finding older than `secondaryAfterDays` whose secondary
     * contact was not told yet is claimed (one conditional update) and emailed, one per
     * transaction. Without a secondary contact the claim is recorded and nobody else is emailed.
     */
    async escalateDue(): Promise<number> {
      let sent = 0;
      for (;;) {
        const done = await db.transaction().execute(async (tx) => {
          const finding = await repo.claimDueSecondaryNotice(tx, clock.now());
          if (!finding) return false;
          const m = await mailParams(tx, finding);
          if (!m.secondary) {
            await audit.record(tx, { actorType: 'system', partnerId: finding.partner_id, action: 'attention.escalation_skipped', details: { findingId: finding.id, why: 'no secondary contact' } });
            return true;
          }
          await mail.queue(tx, {
            template: 'attention_reminder',
            to: m.secondary.email,
            partnerId: finding.partner_id,
            params: {
              ...m.params,
              firstName: m.secondary.first_name,
              openedAt: new Date(finding.opened_at).toISOString(),
              primaryContactName: `${m.primary.first_name} ${m.primary.last_name}`,
              primaryContactEmail: m.primary.email,
            },
            secrets: m.secrets,
            idempotencyKey: `attention:${finding.id}:secondary`,
          });
          await audit.record(tx, { actorType: 'system', partnerId: finding.partner_id, action: 'attention.secondary_notified', details: { findingId: finding.id, to: m.secondary.email } });
          sent += 1;
          return true;
        });
        if (!done) return sent;
      }
    },
  };
}

export type Attention = ReturnType<typeof createAttention>;
