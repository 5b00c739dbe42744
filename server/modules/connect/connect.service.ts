import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError } from '../../lib/errors.ts';
import type { TermsAcceptance } from '../../../contracts/connect.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { RequestMeta, SignupService } from '../signup/signup.service.ts';
import type { ConnectRepo } from './connect.repo.ts';
import type { LegalText } from './connect.terms.ts';

// Step 3, connecting the partner's Microsoft tenant, through the browser session that claimed the
// signup link. Nothing of this step is possible before the current Terms and Privacy Policy are
// accepted.

/** Whether the Microsoft sign-in belongs to the current link (always, before a first commit). */
export function signedInForLink(connection: { signed_in_at: Date | string | null; committed_at: Date | string | null }, claimedAt: string): boolean {
  if (!connection.signed_in_at) return false;
  if (!connection.committed_at) return true;
  return new Date(connection.signed_in_at).getTime() >= new Date(claimedAt).getTime();
}

export function createConnectService(deps: { db: Db; repo: ConnectRepo; signup: SignupService; audit: AuditService; clock: Clock; legal: LegalText[]; replyAddress: string }) {
  const { db, repo, signup, audit, clock, legal } = deps;

  async function termsStatus(partnerId: string) {
    const latest = await repo.latestAcceptances(db, partnerId);
    const accepted = legal.every((doc) => latest.some((a) => a.document === doc.document && a.version === doc.version && a.sha256 === doc.sha256));
    const acceptedAt = accepted ? latest.map((a) => new Date(a.accepted_at).getTime()).reduce((a, b) => Math.max(a, b), 0) : null;
    return { accepted, acceptedAt: acceptedAt ? new Date(acceptedAt).toISOString() : null };
  }

  async function progress(session: string | undefined) {
    const current = await signup.currentSession(session);
    const terms = await termsStatus(current.partnerId);
    return {
      companyName: current.companyName,
      reference: current.reference,
      state: current.state,
      linkExpiresAt: current.linkExpiresAt,
      terms: { ...terms, documents: legal.map((d) => ({ document: d.document, version: d.version })) },
    };
  }

  /** The whole wizard as this browser sees it: which step is next and what each step found. */
  async function state(session: string | undefined) {
    const base = await progress(session);
    const current = await signup.currentSession(session);
    const connection = await repo.connection(db, current.partnerId);
    const run = connection?.last_preflight_run_id ? await repo.preflightRun(db, connection.last_preflight_run_id) : undefined;
    const latestSignIn = await repo.latestSignIn(db, current.partnerId);
    // A sign-in sent to Microsoft that never came back (its answer was never received).
    const unfinishedSince = latestSignIn && !latestSignIn.consumed_at ? new Date(latestSignIn.created_at).toISOString() : null;
    // A reconnect (a new link after a committed connection, e.g. the grant was revoked) keeps the
    // apps but needs a new Microsoft sign-in: one from before this link was claimed does not count.
    const signedIn = connection?.signed_in_at ? signedInForLink(connection, current.claimedAt) : false;
    const step = !base.terms.accepted
      ? 'terms'
      : connection?.committed_at && current.linkSpent
        ? 'done'
        : !connection?.entra_validated_at
          ? 'entra_app'
          : !connection.partner_center_validated_at
            ? 'partner_center_app'
            : !signedIn
              ? 'sign_in'
              : 'preflight';
    const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);
    return {
      ...base,
      step: step as 'terms' | 'entra_app' | 'partner_center_app' | 'sign_in' | 'preflight' | 'done',
      entraApp:
        connection?.entra_validated_at && connection.tenant_id && connection.entra_app_id
          ? { tenant: connection.tenant_input ?? connection.tenant_id, tenantId: connection.tenant_id, clientId: connection.entra_app_id, secretHint: `${connection.entra_secret_hint ?? ''}…` }
          : null,
      partnerCenterApp:
        connection?.partner_center_validated_at && connection.partner_center_web_app_id && connection.partner_center_native_app_id
          ? {
              webAppId: connection.partner_center_web_app_id,
              nativeAppId: connection.partner_center_native_app_id,
              secretHint: `${connection.partner_center_secret_hint ?? ''}…`,
              secretExpiresOn: String(connection.partner_center_secret_expires_on ?? ''),
            }
          : null,
      replyAddress: deps.replyAddress,
      signIn:
        connection && (connection.signed_in_at || connection.sign_in_error || connection.service_account_upn || unfinishedSince)
          ? { upn: connection.service_account_upn, mfaPerformed: connection.mfa_performed === true, signedInAt: iso(connection.signed_in_at), error: connection.sign_in_error ?? null, unfinishedSince }
          : null,
      preflight: run && signedIn ? { ranAt: iso(run.finished_at)!, allRequiredPassed: run.all_required_passed, checks: run.checks as never } : null,
      committedAt: current.linkSpent ? iso(connection?.committed_at) : null,
    };
  }

  return {
    legalTexts: () => legal,
    replyAddress: () => deps.replyAddress,
    progress,
    state,

    async acceptTerms(session: string | undefined, input: TermsAcceptance, meta: RequestMeta) {
      const current = await signup.currentSession(session);
      if (current.linkSpent) throw new ConflictError('ALREADY_CONNECTED', 'Your Microsoft tenant is already connected with the accepted terms.');
      for (const doc of legal) {
        const sent = input.documents.find((d) => d.document === doc.document);
        if (!sent || sent.version !== doc.version || sent.sha256 !== doc.sha256) {
          throw new ConflictError(
            'TERMS_CHANGED',
            `The ${doc.title} shown to you is not the current version (${doc.version}). Reload the page, read the current text and accept again.`,
          );
        }
      }
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        await repo.insertAcceptances(
          tx,
          legal.map((doc) => ({ partnerId: current.partnerId, contactId: current.primaryContactId, document: doc.document, version: doc.version, sha256: doc.sha256, acceptedAt: now, ip: meta.ip, userAgent: meta.userAgent })),
        );
        await audit.record(tx, {
          actorType: 'partner',
          actorId: current.primaryContactId,
          partnerId: current.partnerId,
          action: 'terms.accepted',
          ip: meta.ip,
          details: { documents: legal.map((d) => ({ document: d.document, version: d.version, sha256: d.sha256 })) },
        });
      });
      return progress(session);
    },

    /** Guard for every later connect step: refuses until the current terms are accepted. */
    async requireTermsAccepted(partnerId: string, options: { linkSpent?: boolean } = {}) {
      if (options.linkSpent) throw new ConflictError('ALREADY_CONNECTED', 'Your Microsoft tenant is already connected; this step cannot change any more. Contact support to change credentials.');
      const { accepted } = await termsStatus(partnerId);
      if (!accepted) throw new ConflictError('TERMS_NOT_ACCEPTED', 'Accept the Terms of Use and the Privacy Policy first; the other connection steps open after that.');
    },
  };
}

export type ConnectService = ReturnType<typeof createConnectService>;
