import type { Db, DbOrTx } from '../../db/database.ts';
import { hmacHex, randomToken } from '../../lib/crypto.ts';
import { GoneError, NotFoundError } from '../../lib/errors.ts';
import type { RateLimitService } from '../ratelimit/ratelimit.service.ts';
import { DAY, type Clock } from '../../lib/clock.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AuditEvent, AuditService } from '../audit/audit.service.ts';
import type { MailService } from '../mail/mail.service.ts';
import type { Vault } from '../vault/vault.service.ts';
import type { Attention } from './partners.attention.ts';
import { offboardPurgeJob } from './partners.jobs.ts';
import type { PartnersRepo } from './partners.repo.ts';
import type { PartnerLifecycle } from './partners.service.ts';

// Offboarding: the partner leaves. In one transaction: the partner is offboarded (final), every
// link and browser session of it stops working, every stored credential is destroyed (the vault
// shreds the root record and the rest), its Microsoft tenant is free for another partner, an open
// finding is closed, both contacts get a
// confirmation, and the deletion of its customers and contacts is scheduled after the retention
// period. The audit trail stays.

export function createOffboarding(deps: {
  db: Db;
  repo: PartnersRepo;
  lifecycle: Pick<PartnerLifecycle, 'offboard'>;
  attention: Pick<Attention, 'resolve'>;
  vault: Pick<Vault, 'shred'>;
  revokeAllLinks: (tx: DbOrTx, partnerId: string, reason: string) => Promise<number>;
  /** The partner's Microsoft tenant becomes free for another partner (connect owns the connection). */
  releaseTenant: (tx: DbOrTx, partnerId: string) => Promise<boolean>;
  mail: Pick<MailService, 'queue'>;
  queue: JobQueue;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  retentionDays: number;
  rateLimits: Pick<RateLimitService, 'hit'>;
  /** Key of the HMAC under which confirmation links are stored. */
  tokenHashKey: Buffer;
}) {
  const { db, repo, clock } = deps;
  const hashToken = (token: string) => hmacHex(deps.tokenHashKey, token);
  const unusable = () => new GoneError('OFFBOARDING_LINK_UNUSABLE', 'This confirmation link was already used, replaced by a newer one, or has expired. Nothing was changed by opening it; ask for a new one on your status page if you still want to disconnect.');

  async function offboard(tx: DbOrTx, partnerId: string, actor: { type: AuditEvent['actorType']; id?: string | null; ip?: string | null }, reason: string) {
      const now = clock.now();
      const deleteAfter = new Date(now.getTime() + deps.retentionDays * DAY);
      await deps.lifecycle.offboard(tx, partnerId, { actor, details: { reason } });
      const linksRevoked = await deps.revokeAllLinks(tx, partnerId, 'partner_offboarded');
      const sessionsEnded = await repo.endAllSessions(tx, partnerId, now);
      const credentialsDestroyed = await deps.vault.shred(tx, partnerId);
      const tenantReleased = await deps.releaseTenant(tx, partnerId);
      await deps.attention.resolve(tx, partnerId, 'offboarded', actor);
      const partner = await repo.partnerSummary(tx, partnerId);
      for (const [role, contact] of [['primary', partner?.primary], ['secondary', partner?.secondary]] as const) {
        if (!contact || !partner) continue;
        await deps.mail.queue(tx, {
          template: 'partner_offboarded',
          to: contact.email,
          partnerId,
          params: { firstName: contact.first_name, companyName: partner.legal_name, reference: partner.reference, offboardedAt: now.toISOString(), deleteAfter: deleteAfter.toISOString() },
          idempotencyKey: `offboarded:${partnerId}:${role}`,
        });
      }
      await deps.queue.enqueue(offboardPurgeJob, { partnerId }, { tx, startAfter: deleteAfter, singletonKey: partnerId });
      const facts = { linksRevoked, sessionsEnded, credentialsDestroyed, tenantReleased, deleteAfter: deleteAfter.toISOString() };
      await deps.audit.record(tx, { actorType: actor.type, actorId: actor.id ?? null, ip: actor.ip ?? null, partnerId, action: 'partner.offboarded', details: { reason, ...facts } });
      return facts;
  }

  return {
    /** In the caller's transaction (the console locks the partner and audits its own event). */
    offboard,

    /**
     * The status page: "Disconnect from TotalOne". Nothing happens yet: a one-time confirmation
     * link (48 hours) goes to the primary contact, who alone can confirm. Answers where it went, masked.
     */
    async request(partnerId: string, ip: string): Promise<{ sentTo: string; expiresAt: string }> {
      await deps.rateLimits.hit([{ limit: { name: 'offboarding:partner', max: 3, windowSeconds: 3600 }, subject: partnerId }], 'A confirmation link was sent several times in the last hour. Use the one in the most recent email.');
      return db.transaction().execute(async (tx) => {
        const state = await repo.lockState(tx, partnerId);
        if (!state || state === 'offboarded') throw new NotFoundError('NO_SIGNUP_SESSION', 'This signup no longer exists.');
        const now = clock.now();
        const expiresAt = new Date(now.getTime() + 48 * 3_600_000);
        const token = randomToken();
        const id = await repo.insertOffboardingRequest(tx, { partnerId, tokenHash: hashToken(token), now, expiresAt });
        const partner = await repo.partnerSummary(tx, partnerId);
        if (!partner?.primary) throw new Error(`Partner ${partnerId} has no primary contact`);
        await deps.mail.queue(tx, {
          template: 'offboarding_confirm',
          to: partner.primary.email,
          partnerId,
          params: { firstName: partner.primary.first_name, companyName: partner.legal_name, reference: partner.reference, expiresAt: expiresAt.toISOString() },
          secrets: { token },
          idempotencyKey: `offboarding-confirm:${id}`,
        });
        await deps.audit.record(tx, { actorType: 'partner', partnerId, ip, action: 'offboarding.requested', details: { requestId: id, expiresAt } });
        const [local = '', domain = ''] = partner.primary.email.split('@');
        return { sentTo: `${local.slice(0, 1)}***@${domain}`, expiresAt: expiresAt.toISOString() };
      });
    },

    /** Opening the confirmation link changes nothing: what would be disconnected. */
    async inspect(token: string) {
      const request = await repo.findOffboardingRequest(db, hashToken(token));
      if (!request) throw new NotFoundError('OFFBOARDING_LINK_UNKNOWN', 'We do not recognise this confirmation link. Copy the whole link from the most recent email.');
      if (request.spent_at || request.revoked_at || new Date(request.expires_at).getTime() <= clock.now().getTime()) throw unusable();
      const partner = await repo.partnerSummary(db, request.partner_id);
      if (!partner || partner.state === 'offboarded') throw unusable();
      return { companyName: partner.legal_name, reference: partner.reference, expiresAt: new Date(request.expires_at).toISOString() };
    },

    /** The primary contact confirms: the link is spent and the partner offboarded, in one transaction. */
    async confirm(token: string, ip: string) {
      return db.transaction().execute(async (tx) => {
        const request = await repo.spendOffboardingRequest(tx, hashToken(token), clock.now());
        if (!request) throw unusable();
        const state = await repo.lockState(tx, request.partner_id);
        if (!state || state === 'offboarded') throw unusable();
        const partner = await repo.partnerSummary(tx, request.partner_id);
        const facts = await offboard(tx, request.partner_id, { type: 'partner', ip }, 'confirmed by the primary contact');
        return { companyName: partner?.legal_name ?? '', deleteAfter: facts.deleteAfter };
      });
    },

    /**
     * The `partners.offboard-purge` job, after the retention period: the customers are deleted and
     * the contacts' personal data erased (the rows stay, as the accepted terms refer to them).
     * Idempotent; a partner that is not offboarded is left alone.
     */
    async purge(partnerId: string): Promise<{ customers: number; contacts: number } | undefined> {
      return retryOnDeadlock(() => db.transaction().execute(async (tx) => {
        const state = await repo.lockState(tx, partnerId);
        if (state !== 'offboarded') return undefined;
        const result = await repo.purgePartnerData(tx, partnerId);
        await deps.audit.record(tx, { actorType: 'system', partnerId, action: 'partner.purged', details: result });
        deps.logger.info({ partnerId, ...result }, 'offboarded partner: customers deleted and contacts erased');
        return result;
      }));
    },
  };
}

export type Offboarding = ReturnType<typeof createOffboarding>;

/**
 * Deleting every customer row can meet an import's last writes on the same rows in the other order;
 * PostgreSQL then ends one of the two (40P01). The purge is one transaction, rolled back as a
 * whole, so it simply runs again.
 */
async function retryOnDeadlock<T>(action: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
