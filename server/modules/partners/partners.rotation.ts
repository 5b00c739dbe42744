import type { Db, DbOrTx } from '../../db/database.ts';
import type { PartnerState, TrackedSecret } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, ConflictError, NotFoundError } from '../../lib/errors.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { Logger } from '../../lib/logger.ts';
import type { CredentialUpdateInput, CredentialUpdateState } from '../../../contracts/credentials.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { SecretChecks } from '../connect/connect.secrets.ts';
import type { MailService } from '../mail/mail.service.ts';
import { credentialFields, type MicrosoftCredentials } from '../microsoft/microsoft.credentials.ts';
import type { Limit, RateLimitService } from '../ratelimit/ratelimit.service.ts';
import type { RequestMeta, SignupService } from '../signup/signup.service.ts';
import { maskEmail } from '../signup/signup.fns.ts';
import type { Attention } from './partners.attention.ts';
import { credentialUpdateRequestJob } from './partners.jobs.ts';
import type { PartnersRepo } from './partners.repo.ts';
import type { SecretExpiry } from './partners.secrets.ts';
import type { PartnerLifecycle } from './partners.service.ts';

// Self-service credential update ("rotation"): the primary contact of a connected partner enters
// a new Entra app client secret and/or a new Partner Center web app secret through a one-time link.
//
// - The link is a one-time link of the signup module (purpose `credential_update`, the same rules
//   as the signup link: HMAC stored, 48 hours, opening changes nothing, a claim binds it to one
//   browser, a new one revokes the old, spent when the new secrets are stored). It goes to the
//   primary contact only, requested from the status page or anonymously by address (same answer).
// - The new values are checked live with Microsoft as the connect wizard checks them
//   (connect.secrets.ts); the old ones stay in use until then.
// - Stored through the vault in one transaction: a new Partner Center secret is a new vault root,
//   and every other record is re-wrapped under it (vault README). Secret tracking follows the new
//   secrets; a finding about the replaced secret is resolved and the import resumes
//   (`clearAttention`); both contacts are told.

export const CREDENTIAL_UPDATE_LINK_TTL_HOURS = 48;

/** States with a committed Microsoft connection: there is a secret to replace. */
export const credentialUpdateStates: readonly PartnerState[] = ['connected', 'syncing', 'active', 'needs_attention', 'sync_failed'];

export const credentialUpdateLimits = {
  perPartner: { name: 'credential-update:partner', max: 3, windowSeconds: 3600 } satisfies Limit,
  perIp: { name: 'credential-update:ip', max: 20, windowSeconds: 3600 } satisfies Limit,
  perEmail: { name: 'credential-update:email', max: 3, windowSeconds: 3600 } satisfies Limit,
};

/** The one answer to an anonymous request, whatever we know about the address. */
export const credentialUpdateRequestAccepted =
  'If this address is the primary contact of a connected TotalOne partner, a one-time link to update its Microsoft secrets is on its way (earlier update links then stop working).';

const SECRET_NAMES: Record<TrackedSecret, string> = {
  partner_center_web_app_secret: 'the Partner Center web app secret',
  entra_client_secret: 'the client secret of the Entra app',
};
/** Which finding a new secret fixes: the classifier's source of the refused credential. */
const SOURCE_OF: Record<TrackedSecret, string> = { partner_center_web_app_secret: 'partner_center_app', entra_client_secret: 'entra_app' };

export function createCredentialRotation(deps: {
  db: Db;
  repo: PartnersRepo;
  links: Pick<SignupService, 'issueLink' | 'inspectLink' | 'claimLink' | 'sessionLink' | 'spendSessionLink'>;
  checks: SecretChecks;
  credentials: Pick<MicrosoftCredentials, 'sealNewAppSecrets' | 'insertSealed'>;
  secretExpiry: Pick<SecretExpiry, 'forget' | 'track' | 'secretsOf'>;
  attention: Pick<Attention, 'openFinding' | 'resolve'>;
  lifecycle: Pick<PartnerLifecycle, 'clearAttention' | 'lockState'>;
  /** Queues the customer import after a finding was resolved (the sync module's job). */
  resumeImport: (tx: DbOrTx, partnerId: string) => Promise<void>;
  mail: Pick<MailService, 'queue'>;
  audit: AuditService;
  queue: Pick<JobQueue, 'enqueue'>;
  rateLimits: Pick<RateLimitService, 'hit'>;
  statusLink: (partnerId: string) => { statusKey: string; expiresAt: Date };
  clock: Clock;
  logger: Logger;
}) {
  const { db, repo, links, clock } = deps;

  /** Issues the link (revoking the earlier one) and emails it to the primary contact; undefined when there is nothing to update. */
  async function issue(tx: DbOrTx, partnerId: string, issuedBy: string, ip: string) {
    const state = await deps.lifecycle.lockState(tx, partnerId);
    if (!state || !credentialUpdateStates.includes(state)) return undefined;
    const partner = await repo.partnerSummary(tx, partnerId);
    if (!partner?.primary) throw new Error(`Partner ${partnerId} has no primary contact`);
    const link = await links.issueLink(tx, partnerId, 'credential_update', { ttlHours: CREDENTIAL_UPDATE_LINK_TTL_HOURS, issuedBy });
    await deps.mail.queue(tx, {
      template: 'credential_update_link',
      to: partner.primary.email,
      partnerId,
      params: { firstName: partner.primary.first_name, companyName: partner.legal_name, reference: partner.reference, expiresAt: link.expiresAt.toISOString() },
      secrets: { token: link.token },
      idempotencyKey: `credential-update-link:${link.linkId}`,
    });
    await deps.audit.record(tx, { actorType: issuedBy === 'status-page' ? 'partner' : 'anonymous', partnerId, ip, action: 'credential_update_link.issued', details: { linkId: link.linkId, expiresAt: link.expiresAt, issuedBy, revokedPrevious: link.revokedPrevious } });
    return { sentTo: maskEmail(partner.primary.email), expiresAt: link.expiresAt.toISOString() };
  }

  async function view(partnerId: string, link: { expires_at: Date | string; spent_at: Date | string | null; id: string }): Promise<CredentialUpdateState> {
    const partner = await repo.partnerSummary(db, partnerId);
    const apps = await deps.checks.committedApps(partnerId);
    if (!partner || !apps) throw new NotFoundError('NO_LINK_SESSION', 'This partner has no completed Microsoft connection.');
    const tracked = await deps.secretExpiry.secretsOf(partnerId);
    const endOf = (credential: TrackedSecret) => {
      const row = tracked.find((t) => t.credential === credential);
      return row?.ends_at ? new Date(row.ends_at).toISOString() : null;
    };
    let done: CredentialUpdateState['done'] = null;
    if (link.spent_at) {
      const event = (await deps.audit.forPartner(partnerId)).reverse().find((e) => e.action === 'credentials.updated' && (e.details as { linkId?: string }).linkId === link.id);
      const details = (event?.details ?? {}) as { fields?: TrackedSecret[]; resumedImport?: boolean };
      done = { at: new Date(link.spent_at).toISOString(), updated: details.fields ?? [], resumedImport: details.resumedImport ?? false };
    }
    return {
      companyName: partner.legal_name,
      reference: partner.reference,
      linkExpiresAt: new Date(link.expires_at).toISOString(),
      entraApp: { appId: apps.entraAppId, secretHint: apps.entraSecretHint, endsAt: endOf(credentialFields.entraSecret) },
      partnerCenterApp: {
        appId: apps.webAppId,
        secretHint: apps.partnerCenterSecretHint,
        endsAt: endOf(credentialFields.partnerCenterSecret) ?? (apps.partnerCenterSecretExpiresOn ? new Date(`${apps.partnerCenterSecretExpiresOn}T23:59:59Z`).toISOString() : null),
      },
      done,
    };
  }

  return {
    /** The status page: "Email me an update link" (the primary contact gets it; 3 an hour). */
    async requestFromStatus(partnerId: string, meta: RequestMeta): Promise<{ sentTo: string; expiresAt: string }> {
      await deps.rateLimits.hit(
        [
          { limit: credentialUpdateLimits.perPartner, subject: partnerId },
          { limit: credentialUpdateLimits.perIp, subject: meta.ip },
        ],
        'An update link was sent several times in the last hour. Use the one in the most recent email.',
      );
      const sent = await db.transaction().execute((tx) => issue(tx, partnerId, 'status-page', meta.ip));
      if (!sent) throw new ConflictError('CREDENTIAL_UPDATE_NOT_POSSIBLE', 'Your Microsoft connection is not complete, so there is no secret to update yet. Continue with the signup link from your email.');
      return sent;
    },

    /**
     * Anonymous request by address: counted and queued, known address or not, so neither the
     * answer nor its timing tells whether the address is a partner's; the job decides.
     */
    async requestByEmail(email: string, meta: RequestMeta): Promise<void> {
      await deps.rateLimits.hit(
        [
          { limit: credentialUpdateLimits.perIp, subject: meta.ip },
          { limit: credentialUpdateLimits.perEmail, subject: email.trim().toLowerCase() },
        ],
        'We have sent several emails to this address recently.',
      );
      await deps.queue.enqueue(credentialUpdateRequestJob, { email: email.trim().toLowerCase(), ip: meta.ip });
    },

    /** The job of an anonymous request: the link goes to the primary contact with this address, or nothing happens. */
    async handleEmailRequest(email: string, ip: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const partnerId = await repo.partnerByPrimaryEmail(tx, email, credentialUpdateStates);
        const sent = partnerId ? await issue(tx, partnerId, 'self-service', ip) : undefined;
        if (!sent) await deps.audit.record(tx, { actorType: 'anonymous', ip, action: 'credential_update_link.request_ignored' });
      });
    },

    /** Opening the link changes nothing: whose secrets it updates, until when. */
    async inspect(token: string, session: string | undefined) {
      const { link, partner, status } = await links.inspectLink('credential_update', token, session);
      return { companyName: partner.legal_name, reference: partner.reference, expiresAt: new Date(link.expires_at).toISOString(), status };
    },

    /** The explicit start: binds the link to this browser (the same browser may resume). */
    async claim(token: string, presented: string | undefined, meta: RequestMeta) {
      const claimed = await links.claimLink('credential_update', token, presented, async (tx, link, partner) => {
        await deps.audit.record(tx, { actorType: 'partner', partnerId: partner.id, ip: meta.ip, action: 'credential_update_link.claimed', details: { linkId: link.id, userAgent: meta.userAgent.slice(0, 200) } });
      });
      return { session: claimed.session, state: await view(claimed.partner.id, claimed.link) };
    },

    async state(session: string | undefined): Promise<CredentialUpdateState> {
      const { link, partner } = await links.sessionLink('credential_update', session);
      return view(partner.id, link);
    },

    /**
     * The new secrets: checked live with Microsoft (a refusal answers at its field and changes
     * nothing), then stored in one transaction with the link spent, the connection's hints, the
     * tracking reset, the finding they fix resolved and both contacts told.
     */
    async update(session: string | undefined, input: CredentialUpdateInput, meta: RequestMeta): Promise<{ state: CredentialUpdateState; partnerId: string }> {
      const { link, partner } = await links.sessionLink('credential_update', session);
      if (link.spent_at) throw new ConflictError('LINK_SPENT', 'This update link was already used: the new secrets are stored. Ask for a new link on your status page to change them again.');
      if (new Date(link.expires_at).getTime() <= clock.now().getTime()) throw new ConflictError('LINK_EXPIRED', 'This update link has expired; nothing was changed. Ask for a new one on your status page.');
      const proven = await deps.checks.checkNewSecrets(partner.id, input);
      const fields: TrackedSecret[] = [...(proven.partnerCenter ? [credentialFields.partnerCenterSecret] : []), ...(proven.entra ? [credentialFields.entraSecret] : [])];

      let resumedImport = false;
      // Sealing builds on the partner's current records; a concurrent writer (the import storing a
      // renewed refresh token) makes the insert refuse, and sealing again on the new rows is right.
      for (let attempt = 1; ; attempt++) {
        const sealed = await deps.credentials.sealNewAppSecrets(partner.id, {
          entraSecret: proven.entra?.secret,
          partnerCenterSecret: proven.partnerCenter ? { value: proven.partnerCenter.secret, expiresAt: proven.partnerCenter.expiresOn } : undefined,
        });
        try {
          resumedImport = await db.transaction().execute(async (tx) => {
            await deps.credentials.insertSealed(tx, sealed);
            const now = clock.now();
            const spent = await links.spendSessionLink(tx, 'credential_update', session!, now);
            if (!spent) throw new ConflictError('LINK_NOT_USABLE', 'This update link expired or was replaced while the secrets were checked; nothing was changed. Use the link in the most recent email.');
            await deps.checks.recordNewSecrets(tx, partner.id, proven);
            await deps.secretExpiry.forget(tx, partner.id, fields);
            // A finding about a replaced secret is fixed now that Microsoft accepted the new one.
            const finding = await deps.attention.openFinding(partner.id, tx);
            let resumed = false;
            if (finding && finding.after_fix === 'enter_new_secret' && fields.some((f) => SOURCE_OF[f] === finding.source)) {
              await deps.attention.resolve(tx, partner.id, 'credentials_updated', { type: 'partner', ip: meta.ip });
              if ((await deps.lifecycle.lockState(tx, partner.id)) === 'needs_attention') {
                await deps.lifecycle.clearAttention(tx, partner.id, { actor: { type: 'partner', ip: meta.ip }, details: { findingId: finding.id, by: 'credentials_updated' } });
                await deps.resumeImport(tx, partner.id);
                resumed = true;
              }
            }
            await deps.audit.record(tx, {
              actorType: 'partner',
              partnerId: partner.id,
              ip: meta.ip,
              action: 'credentials.updated',
              details: { linkId: link.id, fields, hints: { partnerCenter: proven.partnerCenter?.hint ?? null, entra: proven.entra?.hint ?? null }, partnerCenterSecretExpiresOn: proven.partnerCenter?.secretExpiresOn ?? null, expirySource: proven.partnerCenter?.expirySource ?? null, rerooted: proven.partnerCenter !== undefined, resumedImport: resumed },
            });
            const summary = await repo.partnerSummary(tx, partner.id);
            const status = deps.statusLink(partner.id);
            for (const [role, contact] of [['primary', summary?.primary], ['secondary', summary?.secondary]] as const) {
              if (!contact || !summary) continue;
              await deps.mail.queue(tx, {
                template: 'credentials_updated',
                to: contact.email,
                partnerId: partner.id,
                params: {
                  firstName: contact.first_name,
                  companyName: summary.legal_name,
                  reference: summary.reference,
                  updatedAt: now.toISOString(),
                  updated: fields.map((f) => SECRET_NAMES[f]),
                  partnerCenterSecretExpiresOn: proven.partnerCenter?.secretExpiresOn ?? null,
                  resumedImport: resumed,
                  statusLinkExpiresAt: status.expiresAt.toISOString(),
                },
                secrets: { statusKey: status.statusKey },
                idempotencyKey: `credentials-updated:${link.id}:${role}`,
              });
            }
            return resumed;
          });
          break;
        } catch (error) {
          const concurrent = error instanceof AppError && error.code === 'VAULT_CONCURRENT_CHANGE';
          if (!concurrent || attempt >= 3) throw error;
        }
      }
      // Reminders follow the new secrets from now on (the daily job reads them again too).
      await deps.secretExpiry.track(partner.id).catch((error: unknown) => deps.logger.warn({ partnerId: partner.id, err: error }, 'new secrets stored; reading their expiry from Graph failed, the daily job retries'));
      deps.logger.info({ partnerId: partner.id, fields, resumedImport }, 'credentials updated by the partner');
      const done = await links.sessionLink('credential_update', session);
      return { state: await view(partner.id, done.link), partnerId: partner.id };
    },
  };
}

export type CredentialRotation = ReturnType<typeof createCredentialRotation>;
