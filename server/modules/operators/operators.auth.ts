import { hash as argon2Hash, verify as argon2Verify, type Algorithm } from '@node-rs/argon2';
import { Secret, TOTP } from 'otpauth';
import type { Db, DbOrTx } from '../../db/database.ts';
import type { Operator, OperatorInvite } from '../../db/schema.ts';
import { HOUR, MINUTE, type Clock } from '../../lib/clock.ts';
import { hmacHex, randomToken } from '../../lib/crypto.ts';
import type { AppSealer } from '../vault/vault.appkeys.ts';
import { totpContext } from './operators.keys.ts';
import { AppError, ConflictError, ForbiddenError, GoneError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { OperatorRole, OperatorSessionView } from '../../../contracts/operators.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { MailService } from '../mail/mail.service.ts';
import type { Limit, RateLimitService } from '../ratelimit/ratelimit.service.ts';
import { passwordProblems } from './operators.fns.ts';
import type { OperatorsRepo } from './operators.repo.ts';

// Operator accounts: creation with an emailed one-time invite, password (argon2id) and TOTP
// enrolment, sign-in with both, sessions with idle and absolute timeouts, lockout. Every security
// event goes to the audit log. Session ids and invite tokens are stored as HMACs only; the TOTP
// secret is sealed (AES-256-GCM) and bound to its operator.

export const SESSION_IDLE_MS = 30 * MINUTE;
export const SESSION_ABSOLUTE_MS = 12 * HOUR;
export const LOCKOUT_AFTER_FAILURES = 5;
export const LOCKOUT_MS = 15 * MINUTE;
export const INVITE_TTL_MS = 72 * HOUR;
/** last_seen_at is written at most this often: idle timeout precision vs a write per request. */
const TOUCH_EVERY_MS = MINUTE;
const TOTP_ISSUER = 'TotalOne Console';
const TOTP_PERIOD = 30;

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const argon2Options = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export interface OperatorLimits {
  signInPerIp: Limit;
  signInPerEmail: Limit;
  invitePerIp: Limit;
}

export const defaultOperatorLimits: OperatorLimits = {
  signInPerIp: { name: 'operator-sign-in:ip', max: 60, windowSeconds: 900 },
  signInPerEmail: { name: 'operator-sign-in:email', max: 20, windowSeconds: 900 },
  invitePerIp: { name: 'operator-invite:ip', max: 60, windowSeconds: 900 },
};

export interface Meta {
  ip: string;
  userAgent: string;
}

/** Who did it: an operator through the console, or the command line on the server. */
export type Actor = { type: 'operator'; id: string; email: string; ip?: string } | { type: 'system'; label: string };

export interface SignedInOperator {
  id: string;
  email: string;
  role: OperatorRole;
  /** HMAC of the session cookie: the row id, never sent anywhere. */
  sessionHash: string;
  view: OperatorSessionView;
}

const signInFailed = () => new AppError(401, 'SIGN_IN_FAILED', 'The email, password or authenticator code is not right. Check them and try again; after 5 failed attempts the account is locked for 15 minutes.');
const sessionRequired = () => new AppError(401, 'CONSOLE_SESSION_REQUIRED', 'Sign in to the operator console to continue. Sessions end after 30 minutes without activity and 12 hours after sign-in.');

export function createOperatorAuth(deps: {
  db: Db;
  repo: OperatorsRepo;
  mail: Pick<MailService, 'queue'>;
  audit: AuditService;
  rateLimits: RateLimitService;
  clock: Clock;
  logger: Logger;
  sessionHashKey: Buffer;
  inviteHashKey: Buffer;
  /** Keys the sign-in lockout counters (an HMAC of the typed email, never the email itself). */
  lockoutHashKey: Buffer;
  /** Seals authenticator secrets (the app keyring's `operator-totp` key). */
  totpSealer: AppSealer;
  limits?: OperatorLimits;
}) {
  const { db, repo, audit, clock } = deps;
  const limits = deps.limits ?? defaultOperatorLimits;
  const hashSession = (value: string) => hmacHex(deps.sessionHashKey, value);
  const hashInvite = (token: string) => hmacHex(deps.inviteHashKey, token);
  const lockoutSubject = (email: string) => hmacHex(deps.lockoutHashKey, email);
  const sealTotp = (operatorId: string, secret: string) => deps.totpSealer.seal(secret, totpContext(operatorId));
  const openTotp = (operatorId: string, sealed: string) => deps.totpSealer.open(sealed, totpContext(operatorId));
  // Verified against when the email is unknown, so both answers take the same time.
  let dummyHash: Promise<string> | undefined;
  const timingDummy = () => (dummyHash ??= argon2Hash(randomToken(), argon2Options));

  function actorFields(actor: Actor) {
    return actor.type === 'operator' ? { actorType: 'operator' as const, actorId: actor.id, ip: actor.ip ?? null } : { actorType: 'system' as const, actorId: actor.label };
  }
  const actorLabel = (actor: Actor) => (actor.type === 'operator' ? actor.email : actor.label);

  async function issueInvite(tx: DbOrTx, operator: Operator, actor: Actor) {
    const now = clock.now();
    await repo.revokeOpenInvites(tx, operator.id, now);
    const token = randomToken();
    const expiresAt = new Date(now.getTime() + INVITE_TTL_MS);
    const invite = await repo.insertInvite(tx, { operatorId: operator.id, tokenHash: hashInvite(token), createdBy: actorLabel(actor), now, expiresAt });
    await deps.mail.queue(tx, {
      template: 'operator_invite',
      to: operator.email,
      params: { email: operator.email, role: operator.role, invitedBy: actorLabel(actor), expiresAt: expiresAt.toISOString() },
      secrets: { token },
      idempotencyKey: `operator-invite:${invite.id}`,
    });
    await audit.record(tx, { ...actorFields(actor), action: 'operator.invite_sent', details: { operatorId: operator.id, email: operator.email, inviteId: invite.id, expiresAt } });
    return { expiresAt };
  }

  /** An invite that can still be used, with its operator; otherwise an error saying why not. */
  async function usableInvite(from: DbOrTx, token: string): Promise<{ invite: OperatorInvite; operator: Operator }> {
    const invite = await repo.findInvite(from, hashInvite(token));
    if (!invite) throw new NotFoundError('INVITE_UNKNOWN', 'We do not recognise this invitation link. Copy the whole link from the most recent invitation email, or ask an administrator for a new one.');
    if (invite.used_at) throw new GoneError('INVITE_USED', 'This invitation was already used to set up the account. Sign in to the console instead.');
    if (invite.revoked_at) throw new GoneError('INVITE_REVOKED', 'This invitation was replaced by a newer one or withdrawn. Use the most recent invitation email.');
    if (new Date(invite.expires_at).getTime() <= clock.now().getTime()) throw new GoneError('INVITE_EXPIRED', 'This invitation has expired (they are valid for 72 hours). Ask an administrator to send a new one.');
    const operator = await repo.findById(from, invite.operator_id);
    if (!operator || operator.status !== 'invited') throw new GoneError('INVITE_USED', 'This account is already set up or was disabled. Sign in, or ask an administrator.');
    return { invite, operator };
  }

  function totpFor(operator: Pick<Operator, 'email'>, secret: Secret) {
    return new TOTP({ issuer: TOTP_ISSUER, label: operator.email, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD, secret });
  }

  /** The time step a code belongs to, or null when it is not valid now (one step of drift allowed). */
  function acceptedStep(operator: Operator, sealedSecret: string, code: string, now: Date): number | null {
    const totp = totpFor(operator, Secret.fromBase32(openTotp(operator.id, sealedSecret)));
    const delta = totp.validate({ token: code, timestamp: now.getTime(), window: 1 });
    if (delta === null) return null;
    const step = Math.floor(now.getTime() / 1000 / TOTP_PERIOD) + delta;
    // A code is good once: a replay within its 90 seconds is refused.
    if (operator.totp_last_step !== null && step <= Number(operator.totp_last_step)) return null;
    return step;
  }

  function sessionView(operator: { id: string; email: string; role: OperatorRole }, createdAt: Date, lastSeenAt: Date, expiresAt: Date): OperatorSessionView {
    const idle = new Date(Math.min(lastSeenAt.getTime() + SESSION_IDLE_MS, expiresAt.getTime()));
    return { operator: { id: operator.id, email: operator.email, role: operator.role }, signedInAt: createdAt.toISOString(), expiresAt: expiresAt.toISOString(), idleExpiresAt: idle.toISOString() };
  }

  async function assertAdminsRemain(tx: DbOrTx, target: Operator, change: 'demote' | 'disable') {
    if (target.role !== 'admin' || target.status !== 'active') return;
    if ((await repo.countActiveAdmins(tx)) <= 1) {
      throw new ConflictError('LAST_ADMIN', `This is the last active administrator; ${change === 'demote' ? 'changing its role' : 'disabling it'} would leave nobody able to manage operators. Make another operator an administrator first.`);
    }
  }

  return {
    hashSession,

    /** Creates an operator and emails the invitation: used by the CLI and by admins in the console. */
    async createOperator(input: { email: string; role: OperatorRole }, actor: Actor) {
      const email = input.email.trim().toLowerCase();
      return db.transaction().execute(async (tx) => {
        if (await repo.findByEmail(tx, email)) throw new ConflictError('OPERATOR_EXISTS', `An operator with the email ${email} already exists. Change its role or re-send its invitation instead.`);
        const operator = await repo.insertOperator(tx, { email, role: input.role, createdBy: actorLabel(actor), now: clock.now() });
        await audit.record(tx, { ...actorFields(actor), action: 'operator.created', details: { operatorId: operator.id, email, role: input.role } });
        const invite = await issueInvite(tx, operator, actor);
        return { operator, inviteExpiresAt: invite.expiresAt };
      });
    },

    /** A new invitation for an operator who has not finished setting up (the old link dies). */
    async reinvite(operatorId: string, actor: Actor) {
      return db.transaction().execute(async (tx) => {
        const operator = await repo.lockById(tx, operatorId);
        if (!operator) throw new NotFoundError('OPERATOR_NOT_FOUND', 'There is no such operator.');
        if (operator.status !== 'invited') throw new ConflictError('OPERATOR_NOT_INVITED', 'This operator has already set up the account (or is disabled): an invitation cannot be sent.');
        const invite = await issueInvite(tx, operator, actor);
        return { operator, inviteExpiresAt: invite.expiresAt };
      });
    },

    /** Every operator, with the end of its sign-in lockout when it is locked now. */
    async list() {
      const operators = await repo.list(db);
      const locks = await repo.lockedUntil(db, operators.map((o) => lockoutSubject(o.email)), clock.now());
      return operators.map((o) => ({ ...o, locked_until: locks.get(lockoutSubject(o.email)) ?? null }));
    },

    async findByEmail(email: string) {
      return repo.findByEmail(db, email);
    },

    async changeRole(operatorId: string, role: OperatorRole, reason: string, actor: Actor) {
      return db.transaction().execute(async (tx) => {
        const target = await repo.lockById(tx, operatorId);
        if (!target) throw new NotFoundError('OPERATOR_NOT_FOUND', 'There is no such operator.');
        if (target.role === role) return target;
        if (role !== 'admin') await assertAdminsRemain(tx, target, 'demote');
        await repo.update(tx, target.id, { role, updated_at: clock.now() });
        await audit.record(tx, { ...actorFields(actor), action: 'operator.role_changed', details: { operatorId: target.id, email: target.email, from: target.role, to: role, reason } });
        return { ...target, role };
      });
    },

    async disable(operatorId: string, reason: string, actor: Actor) {
      return db.transaction().execute(async (tx) => {
        const target = await repo.lockById(tx, operatorId);
        if (!target) throw new NotFoundError('OPERATOR_NOT_FOUND', 'There is no such operator.');
        if (actor.type === 'operator' && actor.id === target.id) throw new ConflictError('CANNOT_DISABLE_SELF', 'You cannot disable your own account. Ask another administrator.');
        if (target.status === 'disabled') return target;
        await assertAdminsRemain(tx, target, 'disable');
        const now = clock.now();
        await repo.update(tx, target.id, { status: 'disabled', updated_at: now });
        const sessions = await repo.revokeAllSessions(tx, target.id, 'operator_disabled', now);
        await repo.revokeOpenInvites(tx, target.id, now);
        await audit.record(tx, { ...actorFields(actor), action: 'operator.disabled', details: { operatorId: target.id, email: target.email, reason, sessionsEnded: sessions } });
        return { ...target, status: 'disabled' as const };
      });
    },

    // --- invitation acceptance (no session: the invite token is the credential) ---

    async inspectInvite(token: string) {
      const { invite, operator } = await usableInvite(db, token);
      return { email: operator.email, role: operator.role, expiresAt: new Date(invite.expires_at).toISOString(), step: operator.password_hash ? ('totp' as const) : ('password' as const) };
    },

    async setInvitePassword(token: string, password: string, meta: Meta) {
      await deps.rateLimits.hit([{ limit: limits.invitePerIp, subject: meta.ip }], 'Too many attempts from here.');
      const { operator } = await usableInvite(db, token);
      const problems = passwordProblems(password, operator.email);
      if (problems.length > 0) throw new ValidationError(`The password cannot be used: ${problems[0]}`, problems.map((message) => ({ path: 'password', message })));
      const passwordHash = await argon2Hash(password, argon2Options);
      await db.transaction().execute(async (tx) => {
        const locked = await repo.lockById(tx, operator.id);
        if (!locked || locked.status !== 'invited') throw new GoneError('INVITE_USED', 'This account is already set up. Sign in instead.');
        await repo.update(tx, operator.id, { password_hash: passwordHash, updated_at: clock.now() });
        await audit.record(tx, { actorType: 'operator', actorId: operator.id, ip: meta.ip, action: 'operator.password_set', details: { via: 'invite' } });
      });
      return { step: 'totp' as const };
    },

    /** A fresh TOTP secret for the authenticator app; replaces any earlier, unconfirmed one. */
    async startTotpEnrolment(token: string, meta: Meta) {
      await deps.rateLimits.hit([{ limit: limits.invitePerIp, subject: meta.ip }], 'Too many attempts from here.');
      const { operator } = await usableInvite(db, token);
      if (!operator.password_hash) throw new ConflictError('STEP_ORDER', 'Choose your password first; the authenticator app comes next.');
      const secret = new Secret({ size: 20 });
      await db.transaction().execute(async (tx) => {
        await repo.update(tx, operator.id, { totp_secret: sealTotp(operator.id, secret.base32), totp_enrolled_at: null, totp_last_step: null, updated_at: clock.now() });
        await audit.record(tx, { actorType: 'operator', actorId: operator.id, ip: meta.ip, action: 'operator.totp_enrolment_started' });
      });
      const totp = totpFor(operator, secret);
      return { otpauthUri: totp.toString(), secret: secret.base32, issuer: TOTP_ISSUER, account: operator.email };
    },

    async confirmTotp(token: string, code: string, meta: Meta) {
      await deps.rateLimits.hit([{ limit: limits.invitePerIp, subject: meta.ip }], 'Too many attempts from here.');
      const { invite, operator } = await usableInvite(db, token);
      if (!operator.password_hash || !operator.totp_secret) throw new ConflictError('STEP_ORDER', 'Choose your password and add the account to your authenticator app first.');
      const now = clock.now();
      const step = acceptedStep(operator, operator.totp_secret, code, now);
      if (step === null) throw new ValidationError('The code is not right. Enter the 6-digit code your authenticator app shows now for TotalOne Console.', [{ path: 'code', message: 'This code is not valid now; enter the current one.' }]);
      await db.transaction().execute(async (tx) => {
        if (!(await repo.useInvite(tx, invite.id, now))) throw new GoneError('INVITE_USED', 'This invitation was already used. Sign in instead.');
        await repo.update(tx, operator.id, { status: 'active', totp_enrolled_at: now, totp_last_step: step, updated_at: now });
        await audit.record(tx, { actorType: 'operator', actorId: operator.id, ip: meta.ip, action: 'operator.activated', details: { email: operator.email, role: operator.role } });
      });
      return { status: 'active' as const, message: 'Your console account is ready. Sign in with your email, password and a code from your authenticator app.' };
    },

    // --- sign-in and sessions ---

    async signIn(input: { email: string; password: string; code: string }, meta: Meta, previousCookie?: string): Promise<{ cookie: string; session: SignedInOperator }> {
      const email = input.email.trim().toLowerCase();
      await deps.rateLimits.hit(
        [
          { limit: limits.signInPerIp, subject: meta.ip },
          { limit: limits.signInPerEmail, subject: email },
        ],
        'Too many sign-in attempts.',
      );
      const base = { ip: meta.ip };
      const now = clock.now();
      const operator = await repo.findByEmail(db, email);
      const usable = operator && operator.status === 'active' && operator.password_hash && operator.totp_secret && operator.totp_enrolled_at ? operator : undefined;
      const actorId = operator?.id ?? null;
      // The attempt is counted before any password is checked, for known and unknown emails alike:
      // parallel attempts get at most LOCKOUT_AFTER_FAILURES checks, and both kinds lock the same way.
      const subject = lockoutSubject(email);
      const attempt = await repo.reserveAttempt(db, subject, LOCKOUT_AFTER_FAILURES, now, new Date(now.getTime() + LOCKOUT_MS));
      if (attempt === undefined) {
        const lockedUntil = (await repo.lockedUntil(db, [subject], now)).get(subject) ?? new Date(now.getTime() + LOCKOUT_MS);
        const retryAfter = Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
        await audit.record(db, { actorType: 'anonymous', ...base, actorId, action: 'operator.sign_in_refused_locked', details: { email, lockedUntil } });
        throw new AppError(429, 'ACCOUNT_LOCKED', `This account is locked after repeated failed sign-ins. Try again in ${Math.max(1, Math.ceil(retryAfter / 60))} minutes, or ask an administrator.`, { retryAfterSeconds: retryAfter });
      }
      const lockedNow = attempt >= LOCKOUT_AFTER_FAILURES;

      // Unknown or unusable accounts are checked against a dummy hash: the answer takes as long.
      let passwordOk = false;
      if (usable) passwordOk = await argon2Verify(usable.password_hash!, input.password).catch(() => false);
      else await argon2Verify(await timingDummy(), input.password).catch(() => false);
      const step = usable && passwordOk ? acceptedStep(usable, usable.totp_secret!, input.code, now) : null;

      let session: { cookie: string; sessionHash: string; expiresAt: Date } | undefined;
      if (usable && step !== null) {
        const cookie = randomToken();
        const sessionHash = hashSession(cookie);
        const expiresAt = new Date(now.getTime() + SESSION_ABSOLUTE_MS);
        const spent = await db.transaction().execute(async (tx) => {
          // The code's time step is spent here, once: a replay running in parallel finds it spent.
          if (!(await repo.spendTotpStep(tx, usable.id, step, now))) return false;
          // A session this browser already had ends: one browser, one session (no fixation either way).
          if (previousCookie) await repo.revokeSession(tx, hashSession(previousCookie), 'replaced_by_sign_in', now);
          await repo.insertSession(tx, { id: sessionHash, operatorId: usable.id, now, expiresAt, ip: meta.ip, userAgent: meta.userAgent.slice(0, 300) });
          await repo.clearFailures(tx, subject);
          await audit.record(tx, { actorType: 'operator', actorId: usable.id, ip: meta.ip, action: 'operator.signed_in', details: { email, userAgent: meta.userAgent.slice(0, 200), expiresAt } });
          return true;
        });
        if (spent) session = { cookie, sessionHash, expiresAt };
      }
      if (session && usable) {
        return { cookie: session.cookie, session: { id: usable.id, email: usable.email, role: usable.role, sessionHash: session.sessionHash, view: sessionView(usable, now, now, session.expiresAt) } };
      }

      const reason = !operator ? 'unknown_email' : !usable ? `account_${operator.status}` : !passwordOk ? 'password' : step === null ? 'code' : 'code_replayed';
      await db.transaction().execute(async (tx) => {
        await audit.record(tx, { actorType: 'anonymous', ...base, actorId, action: 'operator.sign_in_failed', details: { email, reason, failures: attempt, userAgent: meta.userAgent.slice(0, 200) } });
        if (lockedNow && operator) await audit.record(tx, { actorType: 'system', actorId: operator.id, action: 'operator.locked', details: { email, lockedUntil: new Date(now.getTime() + LOCKOUT_MS), failures: attempt } });
      });
      if (lockedNow) throw new AppError(429, 'ACCOUNT_LOCKED', 'This account is now locked for 15 minutes after 5 failed sign-ins. Try again later, or ask an administrator.', { retryAfterSeconds: LOCKOUT_MS / 1000 });
      throw signInFailed();
    },

    /** The operator behind a session cookie, or 401. Ends sessions that ran past a timeout. */
    async authenticate(cookie: string | undefined): Promise<SignedInOperator> {
      if (!cookie) throw sessionRequired();
      const sessionHash = hashSession(cookie);
      const session = await repo.findSession(db, sessionHash);
      if (!session || session.revoked_at || session.status !== 'active') throw sessionRequired();
      const now = clock.now();
      const lastSeen = new Date(session.last_seen_at);
      const expiresAt = new Date(session.expires_at);
      const timedOut = now.getTime() >= expiresAt.getTime() ? 'absolute_timeout' : now.getTime() >= lastSeen.getTime() + SESSION_IDLE_MS ? 'idle_timeout' : null;
      if (timedOut) {
        await db.transaction().execute(async (tx) => {
          if (await repo.revokeSession(tx, sessionHash, timedOut, now)) {
            await audit.record(tx, { actorType: 'system', actorId: session.operator_id, action: 'operator.session_expired', details: { email: session.email, reason: timedOut } });
          }
        });
        throw sessionRequired();
      }
      let seen = lastSeen;
      if (now.getTime() - lastSeen.getTime() >= TOUCH_EVERY_MS) {
        await repo.touchSession(db, sessionHash, now);
        seen = now;
      }
      const operator = { id: session.operator_id, email: session.email, role: session.role };
      return { ...operator, sessionHash, view: sessionView(operator, new Date(session.created_at), seen, expiresAt) };
    },

    async signOut(operator: SignedInOperator, meta: Meta) {
      const now = clock.now();
      return db.transaction().execute(async (tx) => {
        const ended = (await repo.revokeSession(tx, operator.sessionHash, 'signed_out', now)) ? 1 : 0;
        await audit.record(tx, { actorType: 'operator', actorId: operator.id, ip: meta.ip, action: 'operator.signed_out' });
        return ended;
      });
    },

    async signOutEverywhere(operator: SignedInOperator, meta: Meta) {
      const now = clock.now();
      return db.transaction().execute(async (tx) => {
        const ended = await repo.revokeAllSessions(tx, operator.id, 'signed_out_everywhere', now);
        await audit.record(tx, { actorType: 'operator', actorId: operator.id, ip: meta.ip, action: 'operator.signed_out_everywhere', details: { sessionsEnded: ended } });
        return ended;
      });
    },

    requireAdmin(operator: SignedInOperator) {
      if (operator.role !== 'admin') throw new ForbiddenError('ADMIN_ONLY', 'Only console administrators can do this. Ask an administrator if you need it done.');
    },
  };
}

export type OperatorAuth = ReturnType<typeof createOperatorAuth>;
