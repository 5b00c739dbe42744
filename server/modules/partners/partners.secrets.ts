import type { Db, DbOrTx } from '../../db/database.ts';
import type { PartnerSecret, PartnerState, TrackedSecret } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { MailService } from '../mail/mail.service.ts';
import type { GraphClient } from '../microsoft/graph.client.ts';
import { credentialFields, type MicrosoftCredentials } from '../microsoft/microsoft.credentials.ts';
import { afterFixSentence, classifyIdentity, type CredentialSource, type Failure } from '../microsoft/microsoft.failures.ts';
import type { Attention } from './partners.attention.ts';
import { dueReminder, matchSecret } from './partners.fns.ts';
import type { PartnersRepo } from './partners.repo.ts';

// Secret-expiry reminders. The daily job `partners.secret-expiry` reads, per connected partner, the
// exact secrets it entered (both apps' passwordCredentials through Microsoft Graph, matched by the
// hint; the expiry date typed in the wizard when Graph cannot tell), and emails the reminder due:
// 60, 30, 14, 7 and 1 days before the end to the primary contact, from 14 days on also to the
// secondary contact. Each reminder is once per secret (keyId), threshold and contact: its outbox
// idempotency key is unique, so two workers, a retried job or a restart never send it twice. A
// secret that has expired makes the partner need attention, with the fix.

/** States in which the partner's secrets are watched. */
const WATCHED: readonly PartnerState[] = ['connected', 'syncing', 'active', 'needs_attention', 'sync_failed'];
/** States from which an expired secret moves the partner to needs_attention. */
const ATTENTION_FROM: readonly PartnerState[] = ['connected', 'syncing', 'active'];

const SOURCE: Record<TrackedSecret, CredentialSource> = { entra_client_secret: 'entra_app', partner_center_web_app_secret: 'partner_center_app' };
const NAME: Record<TrackedSecret, string> = {
  entra_client_secret: 'the client secret of the Entra app registered for TotalOne',
  partner_center_web_app_secret: 'the key of the Partner Center web app',
};

/** The finding of an expired secret: the classifier's words for AADSTS7000222 on that app. */
export function expiredSecretFailure(credential: TrackedSecret): Failure {
  return classifyIdentity({ aadsts: 7000222 }, { source: SOURCE[credential] });
}

export function createSecretExpiry(deps: {
  db: Db;
  repo: PartnersRepo;
  credentials: Pick<MicrosoftCredentials, 'graphAppToken'>;
  graph: Pick<GraphClient, 'application'>;
  attention: Pick<Attention, 'raise' | 'openFinding'>;
  mail: Pick<MailService, 'queue'>;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  statusLink: (partnerId: string) => { statusKey: string; expiresAt: Date };
}) {
  const { db, repo, clock, logger } = deps;

  type Watched = Awaited<ReturnType<PartnersRepo['partnersWithSecrets']>>[number];

  /** Reads both secrets' ends from Graph (by hint); falls back to the typed date; stores them. */
  async function refresh(partner: Watched): Promise<void> {
    const now = clock.now();
    const apps: Array<{ credential: TrackedSecret; appId: string | null; hint: string | null }> = [
      { credential: credentialFields.entraSecret, appId: partner.entra_app_id, hint: partner.entra_secret_hint },
      { credential: credentialFields.partnerCenterSecret, appId: partner.partner_center_web_app_id, hint: partner.partner_center_secret_hint },
    ];
    let token: string | undefined;
    if (partner.tenant_id && partner.entra_app_id) {
      token = await deps.credentials
        .graphAppToken(partner.id, { tenantId: partner.tenant_id, entraAppId: partner.entra_app_id })
        .then((t) => t.accessToken)
        .catch((error: unknown) => {
          logger.warn({ partnerId: partner.id, err: error }, 'secret expiry: no Graph token; keeping what is known');
          return undefined;
        });
    }
    for (const app of apps) {
      if (!app.appId) continue;
      const registration = token ? await deps.graph.application(token, app.appId).catch(() => null) : null;
      const match = registration ? matchSecret(registration.passwordCredentials, app.hint) : undefined;
      if (match) {
        await repo.upsertSecret(db, { partnerId: partner.id, credential: app.credential, appId: app.appId, keyId: match.keyId, endsAt: match.endsAt, source: 'graph', now });
        continue;
      }
      const known = (await repo.secretsOf(db, partner.id)).find((s) => s.credential === app.credential);
      if (known?.source === 'graph') continue; // Graph could not answer today: yesterday's answer stands
      if (app.credential === credentialFields.partnerCenterSecret && partner.partner_center_secret_expires_on) {
        const typed = new Date(`${partner.partner_center_secret_expires_on}T00:00:00Z`);
        await repo.upsertSecret(db, { partnerId: partner.id, credential: app.credential, appId: app.appId, keyId: null, endsAt: typed, source: 'typed', now });
      }
    }
  }

  async function remind(partner: Watched, secret: PartnerSecret): Promise<'sent' | 'expired' | 'none'> {
    if (!secret.ends_at) return 'none';
    const endsAt = new Date(secret.ends_at);
    const due = dueReminder(endsAt, clock.now());
    if (due.kind === 'none') return 'none';
    if (due.kind === 'expired') {
      if (!ATTENTION_FROM.includes(partner.state)) return 'expired';
      await db.transaction().execute(async (tx) => {
        if (await deps.attention.openFinding(partner.id, tx)) return; // one finding at a time
        await deps.attention.raise(tx, partner.id, { origin: 'secret_expiry', failure: expiredSecretFailure(secret.credential) });
      });
      return 'expired';
    }
    const contacts = await repo.partnerSummary(db, partner.id);
    if (!contacts?.primary) return 'none';
    const failure = expiredSecretFailure(secret.credential);
    const link = deps.statusLink(partner.id);
    // The secret and its end: a new secret (another keyId, another end) starts its own round of reminders.
    const secretId = `${secret.key_id ?? 'typed'}@${endsAt.toISOString().slice(0, 10)}`;
    const recipients = [{ role: 'primary', contact: contacts.primary }, ...(due.toSecondary && contacts.secondary ? [{ role: 'secondary', contact: contacts.secondary }] : [])];
    let sent = false;
    await db.transaction().execute(async (tx) => {
      for (const { role, contact } of recipients) {
        const id = await deps.mail.queue(tx, {
          template: 'secret_expiry_reminder',
          to: contact.email,
          partnerId: partner.id,
          params: {
            firstName: contact.first_name,
            companyName: contacts.legal_name,
            reference: contacts.reference,
            secretName: NAME[secret.credential],
            appId: secret.app_id,
            endsAt: endsAt.toISOString(),
            daysLeft: due.daysLeft,
            steps: failure.fix,
            afterRotation: afterFixSentence('enter_new_secret'),
            statusLinkExpiresAt: link.expiresAt.toISOString(),
          },
          secrets: { statusKey: link.statusKey },
          idempotencyKey: `secret-expiry:${partner.id}:${secret.credential}:${secretId}:${due.threshold}:${role}`,
        });
        if (!id) continue; // sent before (another worker, an earlier run)
        sent = true;
        await deps.audit.record(tx, { actorType: 'system', partnerId: partner.id, action: 'secret_expiry.reminded', details: { credential: secret.credential, keyId: secret.key_id, endsAt, threshold: due.threshold, to: role } });
      }
    });
    return sent ? 'sent' : 'none';
  }

  async function checkPartner(partner: Watched) {
    await refresh(partner);
    const results = [];
    for (const secret of await repo.secretsOf(db, partner.id)) results.push(await remind(partner, secret));
    return results;
  }

  return {
    /** The daily job: every watched partner's secrets read again, and the reminders due sent. */
    async runDaily(): Promise<{ partners: number; reminded: number; expired: number }> {
      const totals = { partners: 0, reminded: 0, expired: 0 };
      for (const partner of await repo.partnersWithSecrets(db, WATCHED)) {
        totals.partners += 1;
        try {
          const results = await checkPartner(partner);
          totals.reminded += results.filter((r) => r === 'sent').length;
          totals.expired += results.filter((r) => r === 'expired').length;
        } catch (error) {
          logger.warn({ partnerId: partner.id, err: error }, 'secret expiry check failed for this partner; the others go on');
        }
      }
      return totals;
    },

    /**
     * "Check again" of a finding about an expired secret: the secrets are read again; still
     * expired gives the finding, otherwise undefined (fixed).
     */
    async recheck(partnerId: string): Promise<Failure | undefined> {
      const [partner] = await repo.partnersWithSecrets(db, WATCHED, partnerId);
      if (!partner) return undefined;
      await refresh(partner);
      const expired = (await repo.secretsOf(db, partnerId)).find((s) => s.ends_at && new Date(s.ends_at).getTime() <= clock.now().getTime());
      return expired ? expiredSecretFailure(expired.credential) : undefined;
    },

    /** The console: partners by the secret that ends first. */
    async nearestExpiries(limit = 50) {
      const rows = await repo.nearestExpiries(db, limit);
      const now = clock.now().getTime();
      return rows.map((r) => ({
        partnerId: r.id,
        reference: r.reference,
        companyName: r.legal_name,
        state: r.state,
        credential: r.credential,
        endsAt: new Date(r.ends_at!).toISOString(),
        daysLeft: Math.ceil((new Date(r.ends_at!).getTime() - now) / 86_400_000),
        source: r.source,
      }));
    },

    secretsOf: (partnerId: string) => repo.secretsOf(db, partnerId),

    /**
     * New secrets were stored (the credential update): the replaced ones are no longer tracked (in
     * the caller's transaction), so the next read of Graph (`track`, right after the commit, and
     * the daily job) follows the new secrets, and their reminders start a round of their own.
     */
    forget: (tx: DbOrTx, partnerId: string, credentials: readonly TrackedSecret[]) => repo.forgetSecrets(tx, partnerId, credentials),

    /** Reads the partner's secrets from Graph now (after the credential update). */
    async track(partnerId: string): Promise<PartnerSecret[]> {
      const [partner] = await repo.partnersWithSecrets(db, WATCHED, partnerId);
      if (partner) await refresh(partner);
      return repo.secretsOf(db, partnerId);
    },
  };
}

export type SecretExpiry = ReturnType<typeof createSecretExpiry>;
