import { transactionWithRetry } from '../../db/connection-errors.ts';
import type { Db, DbOrTx } from '../../db/database.ts';
import type { OneTimeToken, Partner, TokenPurpose } from '../../db/schema.ts';
import { HOUR, type Clock } from '../../lib/clock.ts';
import { hmacHex, randomToken } from '../../lib/crypto.ts';
import { ConflictError, GoneError, NotFoundError } from '../../lib/errors.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { MailService } from '../mail/mail.service.ts';
import type { PartnerLifecycle } from '../partners/partners.service.ts';
import type { Limit, RateLimitService } from '../ratelimit/ratelimit.service.ts';
import type { SignupData } from '../../../contracts/signup.ts';
import { accessEnded, closedStates, isClosed, linkStatus, reconnectableStates, newPartnerReference, newSupportReference, PARTNER_SESSION_TOUCH_MS, sessionLive } from './signup.fns.ts';
import { linkRequestJob } from './signup.jobs.ts';
import { inProgressStates, type SignupRepo } from './signup.repo.ts';

export interface RequestMeta {
  ip: string;
  userAgent: string;
}

export interface SignupLimits {
  signupPerIp: Limit;
  signupPerEmail: Limit;
  resendPerEmail: Limit;
  resendPerIp: Limit;
  supportPerIp: Limit;
  reconnectPerPartner: Limit;
}

export const defaultSignupLimits: SignupLimits = {
  signupPerIp: { name: 'signup:ip', max: 30, windowSeconds: 3600 },
  signupPerEmail: { name: 'signup:email', max: 5, windowSeconds: 3600 },
  resendPerEmail: { name: 'resend:email', max: 3, windowSeconds: 3600 },
  resendPerIp: { name: 'resend:ip', max: 20, windowSeconds: 3600 },
  supportPerIp: { name: 'support:ip', max: 10, windowSeconds: 3600 },
  reconnectPerPartner: { name: 'reconnect:partner', max: 3, windowSeconds: 3600 },
};

/** The one answer to every signup and resend request, whatever we know about the address. */
export const acceptedMessages = {
  signup: 'Thank you. If the details can be used, an email is on its way to the primary contact. Open it and press "Verify email" to continue.',
  resendVerification: 'If this address belongs to a signup that still needs confirming, a new confirmation email is on its way. Earlier confirmation links no longer work.',
  newSignupLink: 'If this address belongs to a confirmed signup that is not connected yet, an email is on its way: a new signup link (earlier links then stop working), or, if your link is already open in a browser, how to continue there.',
};

export function createSignupService(deps: {
  db: Db;
  repo: SignupRepo;
  lifecycle: PartnerLifecycle;
  mail: MailService;
  audit: AuditService;
  rateLimits: RateLimitService;
  queue: Pick<JobQueue, 'enqueue'>;
  clock: Clock;
  logger: Logger;
  tokenHashKey: Buffer;
  sessionHashKey: Buffer;
  links: { signupTtlHours: number; verificationTtlHours: number };
  limits?: SignupLimits;
}) {
  const { db, repo, lifecycle, mail, audit, clock } = deps;
  const limits = deps.limits ?? defaultSignupLimits;
  const hashToken = (token: string) => hmacHex(deps.tokenHashKey, token);
  const hashSession = (session: string) => hmacHex(deps.sessionHashKey, session);

  /**
   * The one issuer of one-time links, every purpose (confirmation, signup, credential update): under
   * the partner row lock every issuer takes, the earlier usable link of the purpose is revoked and a
   * new one inserted (a unique partial index backs this up). Only the token's HMAC is stored; the
   * token itself goes to the caller for the email (sealed in the outbox until sent).
   */
  async function issueLink(tx: DbOrTx, partnerId: string, purpose: TokenPurpose, options: { ttlHours: number; issuedBy: string; firstLink?: boolean }) {
    const now = clock.now();
    let revokedPrevious = 0;
    if (!options.firstLink) {
      await repo.lockPartner(tx, partnerId);
      revokedPrevious = await repo.revokeUsableTokens(tx, partnerId, purpose, 'superseded', now);
    }
    const token = randomToken();
    const expiresAt = new Date(now.getTime() + options.ttlHours * HOUR);
    const row = await repo.insertToken(tx, { partnerId, purpose, tokenHash: hashToken(token), expiresAt, issuedBy: options.issuedBy });
    return { token, linkId: row.id, expiresAt, revokedPrevious };
  }

  async function issueVerification(tx: DbOrTx, partner: Partner, to: { email: string; first_name: string }, issuedBy: string, options: { firstLink?: boolean } = {}) {
    const { token, linkId, expiresAt } = await issueLink(tx, partner.id, 'email_verification', { ttlHours: deps.links.verificationTtlHours, issuedBy, firstLink: options.firstLink ?? false });
    await mail.queue(tx, {
      template: 'verify_email',
      to: to.email,
      partnerId: partner.id,
      params: { firstName: to.first_name, companyName: partner.legal_name, reference: partner.reference, expiresAt: expiresAt.toISOString() },
      secrets: { token },
      idempotencyKey: `verify:${linkId}`,
    });
    await audit.record(tx, { actorType: 'system', partnerId: partner.id, action: 'verification_link.issued', details: { linkId, expiresAt, issuedBy } });
  }

  /** Issues a fresh signup link (revoking any earlier one) and emails it to the primary contact. */
  async function issueSignupLink(tx: DbOrTx, partner: Partner, issuedBy: string, actor: { type: 'system' | 'operator' | 'anonymous'; id?: string; ip?: string }) {
    const { token, linkId, expiresAt, revokedPrevious: revoked } = await issueLink(tx, partner.id, 'signup_link', { ttlHours: deps.links.signupTtlHours, issuedBy });
    const row = { id: linkId };
    await lifecycle.markLinkSent(tx, partner.id, { actor: { type: actor.type, id: actor.id ?? null, ip: actor.ip ?? null }, details: { linkId: row.id } });
    const { primary } = await repo.contacts(tx, partner.id);
    await mail.queue(tx, {
      template: 'signup_link',
      to: primary.email,
      partnerId: partner.id,
      params: { firstName: primary.first_name, companyName: partner.legal_name, reference: partner.reference, expiresAt: expiresAt.toISOString() },
      secrets: { token },
      idempotencyKey: `signup-link:${row.id}`,
    });
    await audit.record(tx, {
      actorType: actor.type,
      actorId: actor.id ?? null,
      ip: actor.ip ?? null,
      partnerId: partner.id,
      action: 'signup_link.issued',
      details: { linkId: row.id, expiresAt, issuedBy, revokedPrevious: revoked },
    });
    return { expiresAt, linkId: row.id };
  }

  function explainUnusableLink(kind: 'verification' | 'signup' | 'credential_update', status: 'revoked' | 'spent' | 'expired' | 'claimed' | 'unknown'): never {
    const noun = kind === 'verification' ? 'confirmation link' : kind === 'signup' ? 'signup link' : 'update link';
    switch (status) {
      case 'unknown':
        throw new NotFoundError('LINK_UNKNOWN', `We do not recognise this ${noun}. Copy the whole link from the most recent email, or request a new one.`);
      case 'revoked':
        throw new GoneError('LINK_REVOKED', `This ${noun} was replaced by a newer one. Use the link in the most recent email from us.`);
      case 'expired':
        throw new GoneError('LINK_EXPIRED', `This ${noun} has expired. Request a new one and it will arrive within a few minutes.`);
      case 'spent':
        if (kind === 'verification') throw new ConflictError('LINK_ALREADY_USED', 'This email address is already confirmed. Your signup link was sent in a second email; if it did not arrive, request a new one.');
        if (kind === 'credential_update') throw new GoneError('LINK_SPENT', 'This update link was already used: the new secret is stored. It cannot be used again; your status page asks for a new one.');
        throw new GoneError('LINK_SPENT', 'This signup link was already used to connect your Microsoft tenant. It cannot be used again.');
      case 'claimed':
        throw new ConflictError(
          'LINK_CLAIMED_ELSEWHERE',
          `This ${noun} was already started in another browser, and it works only there. Continue in that browser, or request a new link (the old one then stops working).`,
        );
    }
  }

  /** A link's kind for the messages about it. */
  const kindOf = (purpose: TokenPurpose) => (purpose === 'email_verification' ? 'verification' : purpose === 'signup_link' ? 'signup' : 'credential_update') as 'verification' | 'signup' | 'credential_update';

  /** Read-only look at a link of a claimable purpose: opening its page changes nothing. */
  async function inspectLink(purpose: TokenPurpose, token: string, session: string | undefined) {
    const link = await repo.findToken(db, hashToken(token), purpose);
    if (!link) return explainUnusableLink(kindOf(purpose), 'unknown');
    const status = linkStatus(link, clock.now());
    const mine = session !== undefined && link.claimed_session_hash === hashSession(session) && sessionLive(link, clock.now());
    if (status !== 'open' && !(status === 'claimed' && mine)) return explainUnusableLink(kindOf(purpose), status);
    const partner = await repo.findPartner(db, link.partner_id);
    if (!partner || isClosed(partner.state)) return explainUnusableLink(kindOf(purpose), 'unknown');
    return { link, partner, status: mine ? ('claimed_here' as const) : ('open' as const) };
  }

  /**
   * Binds a link to a new browser session. The first claim is one conditional update with a fresh
   * session id (`onFirstClaim` runs in its transaction); the browser that holds the link's session
   * may claim again (resume, keeping its session); any other browser is refused.
   */
  async function claimLink(purpose: TokenPurpose, token: string, presented: string | undefined, onFirstClaim?: (tx: DbOrTx, link: OneTimeToken, partner: Partner) => Promise<void>) {
    const tokenHash = hashToken(token);
    const fresh = randomToken();
    const claimed = await db.transaction().execute(async (tx) => {
      const link = await repo.claimToken(tx, tokenHash, hashSession(fresh), clock.now(), purpose);
      if (!link) return undefined;
      const partner = await repo.findPartner(tx, link.partner_id);
      if (!partner) throw new Error('link without partner');
      if (isClosed(partner.state)) throw accessEnded();
      await onFirstClaim?.(tx, link, partner);
      return { link, partner, session: fresh };
    });
    if (claimed) return claimed;
    const now = clock.now();
    const link = await repo.findToken(db, tokenHash, purpose);
    if (!link) return explainUnusableLink(kindOf(purpose), 'unknown');
    const status = linkStatus(link, now);
    if (status === 'claimed' && presented !== undefined && link.claimed_session_hash === hashSession(presented) && sessionLive(link, now)) {
      const partner = await repo.findPartner(db, link.partner_id);
      if (partner && !isClosed(partner.state)) return { link, partner, session: presented };
    }
    return explainUnusableLink(kindOf(purpose), status === 'open' ? 'claimed' : status);
  }

  return {
    issueSignupLink,
    issueLink,
    inspectLink,
    claimLink,

    /**
     * The link of this purpose this browser session claimed, with its partner: the session must be
     * live and the partner not closed. A spent link still answers (its page shows the outcome).
     */
    async sessionLink(purpose: TokenPurpose, session: string | undefined) {
      const noSession = () => new NotFoundError('NO_LINK_SESSION', 'This browser has not started this link, or its session has ended. Open the link from your most recent email again.');
      if (!session) throw noSession();
      const now = clock.now();
      const link = await repo.findClaimedBySession(db, hashSession(session), now, purpose);
      if (!link || !sessionLive(link, now)) throw noSession();
      await repo.touchSession(db, link.id, now, new Date(now.getTime() - PARTNER_SESSION_TOUCH_MS));
      const partner = await repo.findPartner(db, link.partner_id);
      if (!partner) throw noSession();
      if (isClosed(partner.state)) throw accessEnded();
      return { link, partner };
    },

    /** The work the link was for is done: the link this session claimed is spent (caller's transaction). */
    spendSessionLink: (tx: DbOrTx, purpose: TokenPurpose, session: string, now: Date) => repo.spendClaimedLink(tx, hashSession(session), now, purpose),

    /** Contacts of the partner (primary, optional secondary). */
    contacts: (db: DbOrTx, partnerId: string) => repo.contacts(db, partnerId),

    /** Step 3 completes: the link this browser claimed is spent (inside the caller's transaction). */
    async spendClaimedLink(tx: DbOrTx, session: string, now: Date) {
      const link = await repo.spendClaimedLink(tx, hashSession(session), now);
      if (link) await audit.record(tx, { actorType: 'partner', partnerId: link.partner_id, action: 'signup_link.spent', details: { linkId: link.id } });
      return link;
    },

    /**
     * The status page of a partner whose stored Microsoft sign-in is no longer accepted
     * (sync_failed) or that needs attention: a reconnect link, emailed to the primary contact only (as the console's
     * "Issue new signup link"). Answers where it went, masked.
     */
    async requestReconnectLink(partnerId: string, meta: RequestMeta): Promise<{ sentTo: string; expiresAt: string }> {
      await deps.rateLimits.hit(
        [
          { limit: limits.reconnectPerPartner, subject: partnerId },
          { limit: limits.resendPerIp, subject: meta.ip },
        ],
        'A reconnect link was sent several times in the last hour. Use the one in the most recent email.',
      );
      return db.transaction().execute(async (tx) => {
        const partner = await repo.lockPartner(tx, partnerId);
        if (!partner) throw new NotFoundError('NO_SIGNUP_SESSION', 'This signup no longer exists. Please contact support.');
        if (!reconnectableStates.includes(partner.state)) {
          throw new ConflictError('RECONNECT_NOT_NEEDED', 'Your Microsoft connection does not need a new sign-in right now. Reload the page to see the current status.');
        }
        const link = await issueSignupLink(tx, partner, 'self-service-reconnect', { type: 'anonymous', ip: meta.ip });
        const { primary } = await repo.contacts(tx, partner.id);
        await audit.record(tx, { actorType: 'partner', partnerId: partner.id, action: 'reconnect_link.requested', ip: meta.ip, details: { linkId: link.linkId } });
        return { sentTo: maskEmail(primary.email), expiresAt: link.expiresAt.toISOString() };
      });
    },

    /** Suspension: no link of the partner may be used any more (inside the caller's transaction). */
    revokeAllLinks: (tx: DbOrTx, partnerId: string, reason: string) => repo.revokeAllUsableTokens(tx, partnerId, reason, clock.now()),

    /** Support inbox: open or handled; returns whether it changed. */
    setSupportRequestStatus: (tx: DbOrTx, id: string, status: 'open' | 'handled') => repo.setSupportRequestStatus(tx, id, status),

    async submitSignup(data: SignupData, meta: RequestMeta): Promise<void> {
      const email = data.primaryContact.email;
      // Counted in its own short statement: inside the transaction, the per-IP row lock would
      // serialise every signup from one network until commit.
      await deps.rateLimits.hit(
        [
          { limit: limits.signupPerIp, subject: meta.ip },
          { limit: limits.signupPerEmail, subject: email },
        ],
        'Too many signups were submitted from here.',
      );
      // A dropped connection rolls the whole signup back: it simply runs again on a new one.
      await transactionWithRetry(db, 'signup', async (tx) => {
        await repo.lock(tx, `signup-email:${email}`, `signup-domain:${data.company.entraDomain}`);
        const now = clock.now();

        // A partner TotalOne closed cannot come straight back with the same address or tenant.
        const closed = await repo.findClosedByEmailOrDomain(tx, email, data.company.entraDomain, closedStates);
        if (closed) {
          await mail.queue(tx, { template: 'signup_not_possible', to: email, partnerId: closed.id, params: { firstName: data.primaryContact.firstName } });
          await audit.record(tx, { actorType: 'anonymous', partnerId: closed.id, action: 'signup.refused_closed', ip: meta.ip });
          return;
        }

        const inProgress = await repo.findInProgressByPrimaryEmail(tx, email);
        if (inProgress) {
          await mail.queue(tx, {
            template: 'signup_in_progress',
            to: email,
            partnerId: inProgress.id,
            params: { firstName: data.primaryContact.firstName, companyName: inProgress.legal_name, reference: inProgress.reference, verified: inProgress.state !== 'registered' },
          });
          await audit.record(tx, { actorType: 'anonymous', partnerId: inProgress.id, action: 'signup.repeated', ip: meta.ip });
          return;
        }

        const sameTenant = await repo.findActiveByEntraDomain(tx, data.company.entraDomain);
        if (sameTenant) {
          await mail.queue(tx, {
            template: 'company_already_registered',
            to: email,
            partnerId: sameTenant.id,
            params: { firstName: data.primaryContact.firstName, entraDomain: data.company.entraDomain },
          });
          await audit.record(tx, { actorType: 'anonymous', partnerId: sameTenant.id, action: 'signup.duplicate_tenant', ip: meta.ip });
          return;
        }

        const partner = await repo.insertPartner(tx, data, newPartnerReference(), now);
        await audit.record(tx, {
          actorType: 'anonymous',
          partnerId: partner.id,
          action: 'signup.submitted',
          ip: meta.ip,
          details: { reference: partner.reference, hasSecondaryContact: data.secondaryContact !== null },
        });
        await issueVerification(tx, partner, { email, first_name: data.primaryContact.firstName }, 'signup', { firstLink: true });
      });
    },

    async verifyEmail(token: string, meta: RequestMeta) {
      const tokenHash = hashToken(token);
      const result = await db.transaction().execute(async (tx) => {
        const now = clock.now();
        const spent = await repo.spendToken(tx, tokenHash, 'email_verification', now);
        if (!spent) return undefined;
        const partner = await repo.lockPartner(tx, spent.partner_id);
        if (!partner) throw new Error('verification link without partner');
        await lifecycle.markEmailVerified(tx, partner.id, { actor: { type: 'partner', ip: meta.ip } });
        await audit.record(tx, { actorType: 'partner', partnerId: partner.id, action: 'email.verified', ip: meta.ip, details: { linkId: spent.id } });
        const { primary } = await repo.contacts(tx, partner.id);
        const link = await issueSignupLink(tx, partner, 'email_verification', { type: 'system' });
        return { companyName: partner.legal_name, signupLinkSentTo: primary.email, signupLinkExpiresAt: link.expiresAt.toISOString() };
      });
      if (result) return result;
      const existing = await repo.findToken(db, tokenHash, 'email_verification');
      const status = existing ? linkStatus(existing, clock.now()) : 'unknown';
      // "open" here means another request spent it between our update and this read.
      return explainUnusableLink('verification', status === 'open' || status === 'claimed' ? 'spent' : status);
    },

    /**
     * The public "send me a new confirmation email" / "send me a new signup link" requests. The
     * request does the same work whatever we know about the address (count it, queue one job), so
     * neither its answer nor its timing tells whether a signup exists; the worker decides.
     */
    async requestEmail(kind: 'verification' | 'signup_link', email: string, meta: RequestMeta): Promise<void> {
      await deps.rateLimits.hit(
        [
          { limit: limits.resendPerIp, subject: meta.ip },
          { limit: limits.resendPerEmail, subject: `${kind === 'verification' ? 'verify' : 'link'}:${email}` },
        ],
        'We have sent several emails to this address recently.',
      );
      await deps.queue.enqueue(linkRequestJob, { kind, email, ip: meta.ip, userAgent: meta.userAgent.slice(0, 200) });
    },

    /** A new confirmation email if this address has a signup still to confirm (worker, console). */
    async resendVerification(email: string, meta: RequestMeta): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await repo.lock(tx, `signup-email:${email}`);
        const found = await repo.findInProgressByPrimaryEmail(tx, email);
        const locked = found && (await repo.lockPartner(tx, found.id));
        const partner = found && locked ? { ...locked, first_name: found.first_name } : undefined;
        if (!partner || partner.state !== 'registered') {
          await audit.record(tx, { actorType: 'anonymous', partnerId: partner?.id ?? null, action: 'verification_link.resend_ignored', ip: meta.ip });
          return;
        }
        await issueVerification(tx, partner, { email, first_name: partner.first_name }, 'self-service');
      });
    },

    /** A new signup link (or confirmation email) if this address has a signup under way (worker). */
    async sendNewSignupLink(email: string, meta: RequestMeta): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await repo.lock(tx, `signup-email:${email}`);
        const found = await repo.findInProgressByPrimaryEmail(tx, email);
        // Decided under the partner row lock, the one every link issuer takes.
        const locked = found && (await repo.lockPartner(tx, found.id));
        if (!found || !locked || !inProgressStates.includes(locked.state)) {
          await audit.record(tx, { actorType: 'anonymous', action: 'signup_link.request_ignored', ip: meta.ip });
          return;
        }
        const partner = { ...locked, first_name: found.first_name };
        // Not confirmed yet: the helpful answer is a new confirmation email, which leads to the link.
        if (partner.state === 'registered') {
          await issueVerification(tx, partner, { email, first_name: partner.first_name }, 'self-service');
          return;
        }
        // A browser is connecting with the current link: an anonymous request must not cut it off.
        // The address owner is told to continue there or ask support (who can re-issue).
        const claimed = await repo.findClaimedUsableLink(tx, partner.id, clock.now());
        if (claimed && sessionLive(claimed, clock.now())) {
          await mail.queue(tx, {
            template: 'signup_link_in_use',
            to: email,
            partnerId: partner.id,
            params: { firstName: partner.first_name, companyName: partner.legal_name, claimedAt: new Date(claimed.claimed_at!).toISOString(), reference: partner.reference },
          });
          await audit.record(tx, { actorType: 'anonymous', partnerId: partner.id, action: 'signup_link.request_kept_claimed', ip: meta.ip, details: { linkId: claimed.id } });
          return;
        }
        await issueSignupLink(tx, partner, 'self-service', { type: 'anonymous', ip: meta.ip });
      });
    },

    /** Read-only look at a signup link (GET/HEAD of the page and this call change nothing). */
    async inspectSignupLink(token: string, session: string | undefined) {
      const { link, partner, status } = await inspectLink('signup_link', token, session);
      return { companyName: partner.legal_name, reference: partner.reference, expiresAt: new Date(link.expires_at).toISOString(), status };
    },

    /**
     * Binds the signup link to a new browser session (see claimLink). The first claim moves the
     * partner to connecting and tells the primary contact. Returns the session id for the cookie.
     */
    async claimSignupLink(token: string, presented: string | undefined, meta: RequestMeta) {
      const claimed = await claimLink('signup_link', token, presented, async (tx, link, partner) => {
        const now = clock.now();
        await lifecycle.markConnecting(tx, partner.id, { actor: { type: 'partner', ip: meta.ip }, details: { linkId: link.id } });
        const { primary } = await repo.contacts(tx, partner.id);
        await mail.queue(tx, {
          template: 'signup_link_opened',
          to: primary.email,
          partnerId: partner.id,
          params: { firstName: primary.first_name, companyName: partner.legal_name, claimedAt: now.toISOString() },
          idempotencyKey: `link-claimed:${link.id}`,
        });
        await audit.record(tx, { actorType: 'partner', partnerId: partner.id, action: 'signup_link.claimed', ip: meta.ip, details: { linkId: link.id, userAgent: meta.userAgent.slice(0, 200) } });
      });
      const partner = claimed.session === presented ? claimed.partner : ((await repo.findPartner(db, claimed.partner.id)) ?? claimed.partner);
      return {
        session: claimed.session,
        view: {
          companyName: partner.legal_name,
          reference: partner.reference,
          state: partner.state === 'link_sent' || partner.state === 'link_expired' ? 'connecting' : partner.state,
          linkExpiresAt: new Date(claimed.link.expires_at).toISOString(),
          claimedAt: new Date(claimed.link.claimed_at ?? clock.now()).toISOString(),
        },
      };
    },

    /** The partner this browser session is working for, via the signup link it claimed. */
    async currentSession(session: string | undefined) {
      if (!session) throw new NotFoundError('NO_SIGNUP_SESSION', 'This browser has not started a signup link yet. Open the link from your email and press Start.');
      const now = clock.now();
      const link = await repo.findClaimedBySession(db, hashSession(session), now);
      if (!link) throw new NotFoundError('NO_SIGNUP_SESSION', 'This browser has no active signup link. Open the most recent link from your email, or request a new one.');
      if (!sessionLive(link, now)) {
        throw new NotFoundError(
          'NO_SIGNUP_SESSION',
          'This browser\u2019s session has ended (signed out, unused for 12 hours, or started more than 14 days ago). Open your status page with the link from your most recent email from us, or request a new signup link.',
        );
      }
      await repo.touchSession(db, link.id, now, new Date(now.getTime() - PARTNER_SESSION_TOUCH_MS));
      const partner = await repo.findPartner(db, link.partner_id);
      if (!partner) throw new NotFoundError('NO_SIGNUP_SESSION', 'This signup no longer exists. Please contact support.');
      if (isClosed(partner.state)) throw accessEnded();
      const { primary } = await repo.contacts(db, partner.id);
      return {
        primaryContactId: primary.id,
        /** The connection was completed with this link: nothing in Step 3 can change any more. */
        linkSpent: link.spent_at !== null,
        entraDomain: partner.entra_domain,
        companyName: partner.legal_name,
        reference: partner.reference,
        state: partner.state,
        linkExpiresAt: new Date(link.expires_at).toISOString(),
        claimedAt: new Date(link.claimed_at ?? clock.now()).toISOString(),
        partnerId: partner.id,
      };
    },

    /** Sign-out: this browser's session ends at once, wherever it is used. */
    async endSession(session: string | undefined, meta: RequestMeta): Promise<void> {
      if (!session) return;
      const link = await repo.findClaimedBySession(db, hashSession(session), clock.now());
      const ended = await repo.endSession(db, hashSession(session), clock.now());
      if (ended && link) await audit.record(db, { actorType: 'partner', partnerId: link.partner_id, action: 'partner_session.signed_out', ip: meta.ip, details: { linkId: link.id } });
    },

    async expireLapsedLinks(): Promise<number> {
      return db.transaction().execute(async (tx) => {
        const ids = await repo.partnersWithLapsedLinks(tx, clock.now());
        for (const id of ids) {
          await lifecycle.markLinkExpired(tx, id);
          await audit.record(tx, { actorType: 'system', partnerId: id, action: 'signup_link.expired' });
        }
        return ids.length;
      });
    },

    async createSupportRequest(data: { name: string; email: string; message: string; signupReference: string | null }, meta: RequestMeta) {
      await deps.rateLimits.hit([{ limit: limits.supportPerIp, subject: meta.ip }], 'Too many support requests were sent from here.');
      return db.transaction().execute(async (tx) => {
        const byReference = data.signupReference ? await repo.findPartnerByReference(tx, data.signupReference) : undefined;
        const contact = await repo.findContactByEmail(tx, data.email);
        const partnerId = byReference?.id ?? contact?.partner_id ?? null;
        const reference = newSupportReference();
        const row = await repo.insertSupportRequest(tx, { reference, partnerId, ...data, ip: meta.ip });
        // Anyone can type any address into the form: only a known partner contact gets the message
        // quoted back, greeted by the name we hold; any other address gets the reference and
        // nothing the sender wrote, so the form cannot mail a stranger's text from our sender.
        await mail.queue(tx, {
          template: 'support_request_received',
          to: data.email,
          partnerId,
          params: contact ? { firstName: contact.first_name, reference, message: data.message } : { reference },
          idempotencyKey: `support-ack:${row.id}`,
        });
        await audit.record(tx, { actorType: 'anonymous', partnerId, action: 'support_request.created', ip: meta.ip, details: { reference } });
        return { reference };
      });
    },
  };
}

export type SignupService = ReturnType<typeof createSignupService>;

/** "j***@fabrikam.example": enough for the person to recognise the address, not to learn it. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}
