// The interactive sign-in: /{tenant}/oauth2/v2.0/authorize (and v1 /oauth2/authorize) with
// sign-in, MFA and consent pages. Like Entra, problems that make the redirect URI untrustworthy
// (unknown tenant or app, unregistered redirect URI) end on an error page; everything else goes
// back to the app's redirect_uri as error + error_description.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TOTP } from 'otpauth';
import { findAppAnywhere, findClientApp, findTenant, findUserByUpn, tenantById } from '../directory.ts';
import { opaqueToken } from '../ids.ts';
import { GRAPH_RESOURCE } from '../microsoft-catalog.ts';
import type { ScenarioApplication, ScenarioTenant, ScenarioUser } from '../scenarios/types.ts';
import { logEvent, type AuthTransaction, type AuthorizeRequest, type EmulatorState, type Session } from '../state.ts';
import { ensureRedirectUri } from './clients.ts';
import {
  isGlobalAdmin, missingConsent, needsAdminConsent, recordConsent, resolveResourceRequest, resolveScopeRequests, type ResourceRequest,
} from './consent.ts';
import { AadstsError, aadTimestamp, aadsts, aadstsMore } from './errors.ts';
import { consentPage, errorPage, formPostPage, mfaPage, signInPage } from './pages.ts';

export const SESSION_COOKIE = 'ESTSAUTH';
const TRANSACTION_TTL_MS = 30 * 60_000;
const CODE_TTL_MS = 10 * 60_000;
const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations']);

type Query = Record<string, string | undefined>;

function html(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.status(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

function showError(reply: FastifyReply, state: EmulatorState, err: AadstsError): FastifyReply {
  return html(reply, errorPage({ code: err.code, message: err.message, requestId: randomUUID(), correlationId: randomUUID(), timestamp: aadTimestamp(state.now()) }), 400);
}

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Send the outcome (code or error) back to the app, honouring response_mode. */
function returnToApp(reply: FastifyReply, req: AuthorizeRequest, fields: Record<string, string>): FastifyReply {
  const all = { ...fields, ...(req.state !== undefined ? { state: req.state } : {}) };
  if (req.responseMode === 'form_post') return html(reply, formPostPage(req.redirectUri, all));
  const url = new URL(req.redirectUri);
  if (req.responseMode === 'fragment') {
    url.hash = new URLSearchParams(all).toString();
  } else {
    for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
  }
  return reply.status(302).header('location', url.toString()).header('cache-control', 'no-store').send();
}

function errorToApp(reply: FastifyReply, state: EmulatorState, req: AuthorizeRequest, err: AadstsError, extra: Record<string, string> = {}): FastifyReply {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  logEvent(state, 'authorize.error', { clientId: req.clientId, code: err.code, error: err.error });
  return returnToApp(reply, req, {
    error: err.error,
    error_description: `AADSTS${err.code}: ${err.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${aadTimestamp(state.now())}`,
    error_uri: `https://login.microsoftonline.com/error?code=${err.code}`,
    ...extra,
  });
}

function findClient(state: EmulatorState, tx: AuthTransaction): { tenant: ScenarioTenant; app: ScenarioApplication } | undefined {
  if (tx.tenantId) {
    const tenant = tenantById(state.scenario, tx.tenantId);
    const app = tenant ? findClientApp(state.scenario, tenant, tx.request.clientId) : undefined;
    return tenant && app ? { tenant, app } : undefined;
  }
  return findAppAnywhere(state.scenario, tx.request.clientId);
}

/**
 * Whether this sign-in needs a second factor: a Conditional Access policy, security defaults for
 * admins, or the app asking for it with `amr_values=mfa`. A registered method alone does not
 * prompt (no per-user MFA is modelled): without a policy, MFA happens only when asked for.
 */
function mfaRequired(tenant: ScenarioTenant, user: ScenarioUser, req: AuthorizeRequest): boolean {
  return tenant.conditionalAccess.requireMfa || (tenant.securityDefaultsEnabled && isGlobalAdmin(tenant, user.id)) || (req.amrValues ?? []).includes('mfa');
}

function resourceRequests(tenant: ScenarioTenant, app: ScenarioApplication, req: AuthorizeRequest): ResourceRequest[] {
  if (req.resource) return [resolveResourceRequest(tenant, app, req.resource, ['.default'])];
  const requests = resolveScopeRequests(tenant, app, req.scopes);
  // A sign-in with OIDC scopes only still consents to Graph's User.Read, as Entra does.
  if (requests.length === 0) return [resolveResourceRequest(tenant, app, GRAPH_RESOURCE, ['User.Read'])];
  return requests;
}

function actionUrl(tx: AuthTransaction, step: 'login' | 'mfa' | 'consent'): string {
  return `/${encodeURIComponent(tx.request.tenantSegment)}/${step}`;
}

/** Move a transaction as far as it can go: next page to show, or the final redirect. */
function advance(state: EmulatorState, request: FastifyRequest, reply: FastifyReply, tx: AuthTransaction, error?: string): FastifyReply {
  const client = findClient(state, tx);
  if (!client) return showError(reply, state, aadsts.appNotFound(tx.request.clientId, tx.request.tenantSegment));
  const { app } = client;
  if (!tx.userId || !tx.passwordDone) {
    return html(reply, signInPage({ action: actionUrl(tx, 'login'), ctx: tx.id, appName: app.displayName, username: tx.request.loginHint, error }));
  }
  const tenant = tenantById(state.scenario, tx.tenantId!)!;
  const user = tenant.users.find((u) => u.id === tx.userId)!;
  if (tenant.conditionalAccess.blockUserSignIn) return errorToApp(reply, state, tx.request, aadsts.blockedByConditionalAccess());
  if (mfaRequired(tenant, user, tx.request) && !tx.mfaDone) {
    if (!user.mfa) return errorToApp(reply, state, tx.request, aadsts.mfaRegistrationRequired());
    // A silent request cannot show the MFA page.
    if (tx.request.prompt === 'none') {
      const needMfa = aadsts.mfaRequired(tx.request.resource ?? tx.request.scopes.join(' '));
      return errorToApp(reply, state, tx.request, new AadstsError(needMfa.code, 'interaction_required', needMfa.message));
    }
    return html(reply, mfaPage({ action: actionUrl(tx, 'mfa'), ctx: tx.id, upn: user.userPrincipalName, method: user.mfa.method, error }));
  }
  let requests: ResourceRequest[];
  try {
    requests = resourceRequests(tenant, app, tx.request);
  } catch (err) {
    if (err instanceof AadstsError) return errorToApp(reply, state, tx.request, err);
    throw err;
  }
  const missing = requests.map((r) => ({ request: r, missing: missingConsent(tenant, app, user.id, r) }));
  const needsConsent = missing.some((m) => m.missing.length > 0) || tx.request.prompt === 'consent';
  if (needsConsent) {
    if (tx.request.prompt === 'none') return errorToApp(reply, state, tx.request, new AadstsError(65001, 'consent_required', aadsts.consentMissing(app.appId, app.displayName).message));
    const admin = isGlobalAdmin(tenant, user.id);
    if (!admin && missing.some((m) => needsAdminConsent(m.request, m.missing))) return errorToApp(reply, state, tx.request, aadstsMore.adminApprovalRequired());
    if (!tx.consentShown) {
      tx.consentShown = true;
      const permissions = requests.flatMap((r) => r.permissions.map((value) => {
        const def = r.resource.oauth2PermissionScopes.find((s) => s.value === value);
        return { resourceName: r.resource.displayName, value, description: def?.adminConsentDisplayName ?? value };
      }));
      return html(reply, consentPage({ action: actionUrl(tx, 'consent'), ctx: tx.id, appName: app.displayName, upn: user.userPrincipalName, permissions, offerOrganizationConsent: admin }));
    }
  }
  return finish(state, reply, tx, tenant, user);
}

function finish(state: EmulatorState, reply: FastifyReply, tx: AuthTransaction, tenant: ScenarioTenant, user: ScenarioUser): FastifyReply {
  const nowMs = state.now().getTime();
  const sessionId = randomUUID();
  const session: Session = { id: sessionId, tenantId: tenant.id, userId: user.id, authTime: Math.floor(nowMs / 1000), mfa: tx.mfaDone };
  // Keep the browser's session unless this sign-in is a different user or added MFA to it.
  const existing = tx.session;
  const effective = existing && existing.userId === user.id && (existing.mfa || !tx.mfaDone) ? existing : session;
  state.sessions.set(effective.id, effective);
  const code = opaqueToken(48);
  state.codes.set(code, {
    tenantId: tenant.id, userId: user.id, clientId: tx.request.clientId, redirectUri: tx.request.redirectUri,
    scopes: tx.request.scopes, resource: tx.request.resource, nonce: tx.request.nonce, codeChallenge: tx.request.codeChallenge,
    authTime: effective.authTime, mfa: effective.mfa, sessionId: effective.id, expiresAt: nowMs + CODE_TTL_MS, redeemed: false,
  });
  state.transactions.delete(tx.id);
  for (const [value, issued] of state.codes) if (issued.expiresAt < nowMs) state.codes.delete(value);
  logEvent(state, 'authorize.code_issued', { clientId: tx.request.clientId, userPrincipalName: user.userPrincipalName, mfa: effective.mfa }, tenant.id);
  reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(effective.id)}; Path=/; HttpOnly; SameSite=Lax`);
  return returnToApp(reply, tx.request, { code, session_state: effective.id });
}

function parseAuthorizeRequest(tenantSegment: string, q: Query, version: 1 | 2): AuthorizeRequest {
  const scopes = (q.scope ?? '').split(/\s+/).filter(Boolean);
  const mode = q.response_mode === 'form_post' || q.response_mode === 'fragment' ? q.response_mode : 'query';
  return {
    tenantSegment, clientId: q.client_id ?? '', redirectUri: q.redirect_uri ?? '', responseMode: mode, scopes,
    ...(version === 1 && q.resource ? { resource: q.resource } : {}),
    ...(q.state !== undefined ? { state: q.state } : {}),
    ...(q.nonce ? { nonce: q.nonce } : {}),
    ...(q.code_challenge ? { codeChallenge: q.code_challenge } : {}),
    ...(q.code_challenge_method ? { codeChallengeMethod: q.code_challenge_method } : {}),
    ...(q.prompt ? { prompt: q.prompt } : {}),
    ...(q.login_hint ? { loginHint: q.login_hint } : {}),
    ...(q.amr_values ? { amrValues: q.amr_values.split(/[\s,]+/).filter(Boolean) } : {}),
  };
}

function startAuthorize(state: EmulatorState, request: FastifyRequest, reply: FastifyReply, version: 1 | 2): FastifyReply {
  const { tenant: segment } = request.params as { tenant: string };
  const q = request.query as Query;
  const multi = MULTI_TENANT_SEGMENTS.has(segment.toLowerCase());
  const tenant = multi ? undefined : findTenant(state.scenario, segment);
  if (!multi && !tenant) return showError(reply, state, aadsts.tenantNotFound(segment));
  const req = parseAuthorizeRequest(segment, q, version);
  if (!req.clientId) return showError(reply, state, aadsts.missingParameter('client_id'));
  const registeredApp = tenant ? findClientApp(state.scenario, tenant, req.clientId) : undefined;
  const found = tenant ? (registeredApp ? { tenant, app: registeredApp } : undefined) : findAppAnywhere(state.scenario, req.clientId);
  if (!found) return showError(reply, state, aadsts.appNotFound(req.clientId, tenant?.id ?? segment));
  if (!req.redirectUri) return showError(reply, state, aadsts.missingParameter('redirect_uri'));
  try {
    ensureRedirectUri(found.app, req.redirectUri);
  } catch (err) {
    return showError(reply, state, err as AadstsError);
  }
  if (q.response_type !== 'code') return errorToApp(reply, state, req, aadstsMore.unsupportedResponseType(q.response_type ?? ''));
  if (version === 2 && req.scopes.length === 0) return errorToApp(reply, state, req, aadsts.missingParameter('scope'));
  // PKCE: this emulator demands S256 for every authorization code request (stricter than Entra,
  // which demands it for SPAs only) so the product cannot ship without it.
  if (!req.codeChallenge || req.codeChallengeMethod !== 'S256') return errorToApp(reply, state, req, aadsts.pkceRequired());

  const tx: AuthTransaction = {
    id: opaqueToken(24), request: req, ...(tenant ? { tenantId: tenant.id } : {}), passwordDone: false, mfaDone: false, createdAt: state.now().getTime(),
  };
  const sessionId = cookieValue(request, SESSION_COOKIE);
  const session = sessionId ? state.sessions.get(sessionId) : undefined;
  const reuseSession = session && sessionStillValid(state, session) && (!tenant || session.tenantId === tenant.id) && req.prompt !== 'login' && req.prompt !== 'select_account';
  if (reuseSession) {
    tx.tenantId = session.tenantId;
    tx.userId = session.userId;
    tx.passwordDone = true;
    tx.mfaDone = session.mfa;
    tx.session = session;
  } else if (req.prompt === 'none') {
    return errorToApp(reply, state, req, aadsts.loginRequired());
  }
  pruneTransactions(state);
  state.transactions.set(tx.id, tx);
  return advance(state, request, reply, tx);
}

/** A password change or a disabled account ends the browser session, as on Entra. */
function sessionStillValid(state: EmulatorState, session: Session): boolean {
  const user = tenantById(state.scenario, session.tenantId)?.users.find((u) => u.id === session.userId);
  return !!user && user.accountEnabled && Date.parse(user.passwordChangedAt) <= session.authTime * 1000;
}

function pruneTransactions(state: EmulatorState): void {
  const cutoff = state.now().getTime() - TRANSACTION_TTL_MS;
  for (const [id, tx] of state.transactions) if (tx.createdAt < cutoff) state.transactions.delete(id);
}

function transactionFrom(state: EmulatorState, request: FastifyRequest): AuthTransaction | undefined {
  const body = (request.body ?? {}) as Record<string, string>;
  return body.ctx ? state.transactions.get(body.ctx) : undefined;
}

const expiredMessage = new AadstsError(50089, 'invalid_request', 'Authentication failed due to flow token expired. Start the sign-in again from the application.');

export function registerAuthorize(app: FastifyInstance, state: EmulatorState): void {
  app.get('/:tenant/oauth2/v2.0/authorize', (request, reply) => startAuthorize(state, request, reply, 2));
  app.get('/:tenant/oauth2/authorize', (request, reply) => startAuthorize(state, request, reply, 1));

  app.post('/:tenant/login', (request, reply) => {
    const tx = transactionFrom(state, request);
    if (!tx) return showError(reply, state, expiredMessage);
    const body = request.body as Record<string, string>;
    const upn = (body.loginfmt ?? '').trim();
    const found = findUserByUpn(state.scenario, upn);
    if (!found || (tx.tenantId && found.tenant.id !== tx.tenantId)) {
      const tenantName = tx.tenantId ?? tx.request.tenantSegment;
      tx.request.loginHint = upn;
      return advance(state, request, reply, tx, `We couldn't find an account with that username. (AADSTS50034: ${aadsts.userNotFound(tenantName).message})`);
    }
    tx.request.loginHint = upn;
    if (!found.user.accountEnabled) return advance(state, request, reply, tx, `Your account has been locked. (AADSTS50057: ${aadsts.userDisabled().message})`);
    if (body.passwd !== found.user.password) {
      logEvent(state, 'sign_in.failed', { userPrincipalName: found.user.userPrincipalName, code: 50126 }, found.tenant.id);
      return advance(state, request, reply, tx, `Your account or password is incorrect. (AADSTS50126: ${aadsts.badPassword().message})`);
    }
    // A different user than the one in the session starts a fresh sign-in.
    tx.tenantId = found.tenant.id;
    if (tx.userId !== found.user.id) tx.mfaDone = false;
    tx.userId = found.user.id;
    tx.passwordDone = true;
    logEvent(state, 'sign_in.password', { userPrincipalName: found.user.userPrincipalName }, found.tenant.id);
    return advance(state, request, reply, tx);
  });

  app.post('/:tenant/mfa', (request, reply) => {
    const tx = transactionFrom(state, request);
    if (!tx || !tx.passwordDone || !tx.tenantId) return showError(reply, state, expiredMessage);
    const tenant = tenantById(state.scenario, tx.tenantId)!;
    const user = tenant.users.find((u) => u.id === tx.userId)!;
    const body = request.body as Record<string, string>;
    if (user.mfa?.method === 'approve') {
      if (body.action !== 'approve') return errorToApp(reply, state, tx.request, aadsts.mfaFailed());
    } else if (user.mfa?.method === 'totp') {
      const totp = new TOTP({ secret: user.mfa.secret, digits: 6, period: 30, algorithm: 'SHA1' });
      const delta = totp.validate({ token: (body.otc ?? '').trim(), timestamp: state.now().getTime(), window: 1 });
      if (delta === null) return advance(state, request, reply, tx, 'You didn\'t enter the expected verification code. Please try again.');
    }
    tx.mfaDone = true;
    logEvent(state, 'sign_in.mfa', { userPrincipalName: user.userPrincipalName, method: user.mfa?.method ?? 'none' }, tenant.id);
    return advance(state, request, reply, tx);
  });

  app.post('/:tenant/consent', (request, reply) => {
    const tx = transactionFrom(state, request);
    if (!tx || !tx.passwordDone || !tx.tenantId) return showError(reply, state, expiredMessage);
    const body = request.body as Record<string, string>;
    if (body.action !== 'accept') {
      state.transactions.delete(tx.id);
      return errorToApp(reply, state, tx.request, aadsts.consentDeclined(), { error_subcode: 'cancel' });
    }
    const tenant = tenantById(state.scenario, tx.tenantId)!;
    const user = tenant.users.find((u) => u.id === tx.userId)!;
    const app = findClientApp(state.scenario, tenant, tx.request.clientId)!;
    const forOrganization = body.consent_org === 'on' && isGlobalAdmin(tenant, user.id);
    for (const r of resourceRequests(tenant, app, tx.request)) recordConsent(state, tenant, app, user.id, r, forOrganization);
    return finish(state, reply, tx, tenant, user);
  });

  app.get('/:tenant/oauth2/v2.0/logout', (request, reply) => {
    const sessionId = cookieValue(request, SESSION_COOKIE);
    if (sessionId) state.sessions.delete(sessionId);
    const target = (request.query as Query).post_logout_redirect_uri;
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    if (target) return reply.status(302).header('location', target).send();
    return html(reply, '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><main><h1>You signed out of your account</h1></main></body></html>');
  });
}

export { CODE_TTL_MS };
