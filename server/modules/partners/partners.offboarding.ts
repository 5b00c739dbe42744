import type { Db, DbOrTx } from '../../db/database.ts';
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
// shreds the root record and the rest), an open finding is closed, both contacts get a
// confirmation, and the deletion of its customers and contacts is scheduled after the retention
// period. The audit trail stays.

export function createOffboarding(deps: {
  db: Db;
  repo: PartnersRepo;
  lifecycle: Pick<PartnerLifecycle, 'offboard'>;
  attention: Pick<Attention, 'resolve'>;
  vault: Pick<Vault, 'shred'>;
  revokeAllLinks: (tx: DbOrTx, partnerId: string, reason: string) => Promise<number>;
  mail: Pick<MailService, 'queue'>;
  queue: JobQueue;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  retentionDays: number;
}) {
  const { db, repo, clock } = deps;

  return {
    /** In the caller's transaction (the console locks the partner and audits its own event). */
    async offboard(tx: DbOrTx, partnerId: string, actor: { type: AuditEvent['actorType']; id?: string | null; ip?: string | null }, reason: string) {
      const now = clock.now();
      const deleteAfter = new Date(now.getTime() + deps.retentionDays * DAY);
      await deps.lifecycle.offboard(tx, partnerId, { actor, details: { reason } });
      const linksRevoked = await deps.revokeAllLinks(tx, partnerId, 'partner_offboarded');
      const sessionsEnded = await repo.endAllSessions(tx, partnerId, now);
      const credentialsDestroyed = await deps.vault.shred(tx, partnerId);
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
      const facts = { linksRevoked, sessionsEnded, credentialsDestroyed, deleteAfter: deleteAfter.toISOString() };
      await deps.audit.record(tx, { actorType: actor.type, actorId: actor.id ?? null, ip: actor.ip ?? null, partnerId, action: 'partner.offboarded', details: { reason, ...facts } });
      return facts;
    },

    /**
     * The `partners.offboard-purge` job, after the retention period: the customers are deleted and
     * the contacts' personal data erased (the rows stay, as the accepted terms refer to them).
     * Idempotent; a partner that is not offboarded is left alone.
     */
    async purge(partnerId: string): Promise<{ customers: number; contacts: number } | undefined> {
      return db.transaction().execute(async (tx) => {
        const state = await repo.lockState(tx, partnerId);
        if (state !== 'offboarded') return undefined;
        const result = await repo.purgePartnerData(tx, partnerId);
        await deps.audit.record(tx, { actorType: 'system', partnerId, action: 'partner.purged', details: result });
        deps.logger.info({ partnerId, ...result }, 'offboarded partner: customers deleted and contacts erased');
        return result;
      });
    },
  };
}

export type Offboarding = ReturnType<typeof createOffboarding>;
