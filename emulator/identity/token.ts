// Token endpoints: v2 /{tenant}/oauth2/v2.0/token (scope=) and v1 /{tenant}/oauth2/token
// (resource=). Grants: authorization_code, refresh_token, client_credentials, password (ROPC).
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findTenant, grantedAppRoles, parseScopes, findResource, tenantById } from '../directory.ts';
import { opaqueToken } from '../ids.ts';
import { GRAPH_RESOURCE } from '../microsoft-catalog.ts';
import type { ScenarioTenant, ScenarioUser } from '../scenarios/types.ts';
import { logEvent, type EmulatorState, type RefreshTokenRecord } from '../state.ts';
import { authenticateClient, requireConfidential, type AuthenticatedClient } from './clients.ts';
import { grantedScopes, isGlobalAdmin, missingConsent, resolveResourceRequest, responseScope } from './consent.ts';
import { AadstsError, aadErrorBody, aadsts } from './errors.ts';
import { clientInfo, mintAppAccessToken, mintIdToken, mintUserAccessToken } from './tokens.ts';

const REFRESH_IDLE_DAYS = 90;
const DAY_MS = 86_400_000;
const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations', 'consumers']);

type Form = Record<string, string>;
type Version = 1 | 2;

interface Target {
  resourceUri: string;
  permissions: string[];
  oidc: string[];
}

/** Which resource and permissions a token request is for (v2: `scope`, v1: `resource`). */
function targetOf(version: Version, body: Form, fallbackScopes: string[], fallbackResource?: string): Target {
  if (version === 1) {
    const resource = body.resource ?? fallbackResource;
    if (!resource) throw aadsts.missingParameter('resource');
    return { resourceUri: resource, permissions: ['.default'], oidc: ['openid'] };
  }
  const scopes = body.scope ? body.scope.split(/\s+/).filter(Boolean) : fallbackScopes;
  const parsed = parseScopes(scopes);
  if (parsed.resources.length > 1) throw aadsts.multipleResources();
  if (!parsed.resource) return { resourceUri: GRAPH_RESOURCE, permissions: ['User.Read'], oidc: parsed.oidc };
  return { resourceUri: parsed.resource, permissions: parsed.permissions, oidc: parsed.oidc };
}

function pathTenant(state: EmulatorState, segment: string): ScenarioTenant | undefined {
  if (MULTI_TENANT_SEGMENTS.has(segment.toLowerCase())) return undefined;
  const tenant = findTenant(state.scenario, segment);
  if (!tenant) throw aadsts.tenantNotFound(segment);
  return tenant;
}

/** Conditional Access and account checks that apply to every user token issuance. */
function checkUserPolicies(tenant: ScenarioTenant, user: ScenarioUser, mfaDone: boolean, resourceUri: string): void {
  if (!user.accountEnabled) throw aadsts.userDisabled();
  if (tenant.conditionalAccess.blockUserSignIn) throw aadsts.blockedByConditionalAccess();
  const policyWantsMfa = tenant.conditionalAccess.requireMfa || (tenant.securityDefaultsEnabled && isGlobalAdmin(tenant, user.id));
  if (policyWantsMfa && !mfaDone) throw aadsts.mfaRequired(resourceUri);
}

interface UserGrant {
  tenant: ScenarioTenant;
  client: AuthenticatedClient;
  user: ScenarioUser;
  target: Target;
  mfa: boolean;
  authTime: number;
  sessionId: string;
  nonce?: string;
  grantType: string;
  withIdToken: boolean;
  withRefreshToken: boolean;
  withClientInfo: boolean;
  grantScopes: string[];
}

async function issueUserTokens(state: EmulatorState, version: Version, g: UserGrant): Promise<Record<string, unknown>> {
  const { tenant, client, user, target } = g;
  const request = resolveResourceRequest(tenant, client.app, target.resourceUri, target.permissions);
  if (missingConsent(tenant, client.app, user.id, request).length > 0) throw aadsts.consentMissing(client.app.appId, client.app.displayName);
  const scopes = grantedScopes(tenant, client.app, user.id, request.resource);
  if (scopes.length === 0) throw aadsts.consentMissing(client.app.appId, client.app.displayName);
  const access = await mintUserAccessToken(state, {
    tenant, user, clientApp: client.app, resource: request.resource, scopes, mfa: g.mfa, authTime: g.authTime, sessionId: g.sessionId, grantType: g.grantType,
  });
  const nowMs = state.now().getTime();
  const body: Record<string, unknown> = { token_type: 'Bearer' };
  if (version === 2) {
    Object.assign(body, { scope: responseScope(request.resource, scopes, target.oidc), expires_in: access.expiresIn, ext_expires_in: access.expiresIn, access_token: access.token });
  } else {
    const nowS = Math.floor(nowMs / 1000);
    Object.assign(body, {
      scope: scopes.join(' '), expires_in: String(access.expiresIn), ext_expires_in: String(access.expiresIn),
      expires_on: String(nowS + access.expiresIn), not_before: String(nowS - 300), resource: target.resourceUri, access_token: access.token,
    });
  }
  if (g.withRefreshToken) {
    const refreshToken = `0.A${opaqueToken(96)}`;
    const record: RefreshTokenRecord = {
      tenantId: tenant.id, userId: user.id, clientId: client.app.appId, scopes: g.grantScopes, authTime: g.authTime, mfa: g.mfa,
      sessionId: g.sessionId, issuedAt: nowMs, lastUsedAt: nowMs,
    };
    state.refreshTokens.set(refreshToken, record);
    body.refresh_token = refreshToken;
  }
  if (g.withIdToken) {
    body.id_token = await mintIdToken(state, {
      tenant, user, clientId: client.app.appId, authTime: g.authTime, sessionId: g.sessionId, grantType: g.grantType, scopes: target.oidc,
      ...(g.nonce ? { nonce: g.nonce } : {}),
    });
  }
  if (g.withClientInfo) body.client_info = clientInfo(user.id, tenant.id);
  return body;
}

async function authorizationCodeGrant(state: EmulatorState, version: Version, segment: string, body: Form, authorization?: string) {
  if (!body.code) throw aadsts.missingParameter('code');
  const code = state.codes.get(body.code);
  const fromPath = pathTenant(state, segment);
  if (!code || (fromPath && fromPath.id !== code.tenantId)) throw aadsts.malformedGrant();
  const tenant = tenantById(state.scenario, code.tenantId)!;
  const client = authenticateClient(tenant, body, authorization, state.now(), state.scenario);
  if (client.app.appId !== code.clientId) throw aadsts.malformedGrant();
  if (code.redeemed) throw aadsts.codeRedeemed();
  if (code.expiresAt < state.now().getTime()) throw aadsts.codeExpired();
  if (!body.redirect_uri) throw aadsts.missingParameter('redirect_uri');
  if (body.redirect_uri !== code.redirectUri) throw aadsts.redirectMismatch(body.redirect_uri, client.app.appId);
  if (code.codeChallenge) {
    if (!body.code_verifier) throw aadsts.missingParameter('code_verifier');
    const computed = createHash('sha256').update(body.code_verifier).digest('base64url');
    if (computed !== code.codeChallenge) throw aadsts.pkceMismatch();
  }
  code.redeemed = true;
  const user = tenant.users.find((u) => u.id === code.userId);
  if (!user) throw aadsts.malformedGrant();
  const target = targetOf(version, body, code.scopes, code.resource);
  const authorizedOidc = new Set(code.scopes);
  return issueUserTokens(state, version, {
    tenant, client, user, target, mfa: code.mfa, authTime: code.authTime, sessionId: code.sessionId,
    ...(code.nonce ? { nonce: code.nonce } : {}),
    grantType: 'authorization_code',
    withIdToken: version === 1 ? authorizedOidc.has('openid') || code.resource !== undefined : authorizedOidc.has('openid'),
    withRefreshToken: version === 1 || authorizedOidc.has('offline_access'),
    withClientInfo: body.client_info === '1',
    grantScopes: code.scopes,
  });
}

async function refreshTokenGrant(state: EmulatorState, version: Version, segment: string, body: Form, authorization?: string) {
  if (!body.refresh_token) throw aadsts.missingParameter('refresh_token');
  const record = state.refreshTokens.get(body.refresh_token);
  const fromPath = pathTenant(state, segment);
  if (!record || (fromPath && fromPath.id !== record.tenantId)) throw aadsts.malformedGrant();
  const tenant = tenantById(state.scenario, record.tenantId)!;
  const client = authenticateClient(tenant, body, authorization, state.now(), state.scenario);
  if (client.app.appId !== record.clientId) throw aadsts.malformedGrant();
  const user = tenant.users.find((u) => u.id === record.userId);
  if (!user) throw aadsts.malformedGrant();
  const nowMs = state.now().getTime();
  const idleDays = (nowMs - record.lastUsedAt) / DAY_MS;
  if (idleDays >= REFRESH_IDLE_DAYS) throw aadsts.refreshTokenIdle(new Date(record.issuedAt), Math.floor(idleDays));
  const validFrom = new Date(user.passwordChangedAt);
  if (validFrom.getTime() > record.authTime * 1000) throw aadsts.grantRevoked(new Date(record.authTime * 1000), validFrom);
  const target = targetOf(version, body, record.scopes);
  checkUserPolicies(tenant, user, record.mfa, target.resourceUri);
  const requested = version === 2 && body.scope ? body.scope.split(/\s+/) : record.scopes;
  const result = await issueUserTokens(state, version, {
    tenant, client, user, target, mfa: record.mfa, authTime: record.authTime, sessionId: record.sessionId, grantType: 'refresh_token',
    withIdToken: version === 1 || requested.includes('openid'),
    withRefreshToken: true,
    withClientInfo: body.client_info === '1',
    grantScopes: [...new Set([...record.scopes, ...requested])],
  });
  // The old refresh token stays usable (Entra does not invalidate it on rotation); its idle clock restarts.
  record.lastUsedAt = nowMs;
  return result;
}

async function clientCredentialsGrant(state: EmulatorState, version: Version, segment: string, body: Form, authorization?: string) {
  // The client credentials flow names the tenant "in GUID or domain-name format"; on the aliases
  // no tenant is implied: /common (and /consumers) refuse the grant, /organizations finds no tenant.
  const alias = segment.toLowerCase();
  if (alias === 'common' || alias === 'consumers') throw aadsts.grantNotOnCommon();
  if (alias === 'organizations') throw aadsts.noTenantInformation();
  const tenant = pathTenant(state, segment);
  if (!tenant) throw aadsts.tenantNotFound(segment);
  const client = authenticateClient(tenant, body, authorization, state.now(), state.scenario);
  requireConfidential(client);
  let resourceUri: string;
  if (version === 1) {
    if (!body.resource) throw aadsts.missingParameter('resource');
    resourceUri = body.resource;
  } else {
    const scope = (body.scope ?? '').trim();
    if (!scope) throw aadsts.missingParameter('scope');
    const match = /^(.+)\/\.default$/.exec(scope);
    if (!match || scope.includes(' ')) throw aadsts.defaultScopeRequired(scope);
    resourceUri = match[1]!;
  }
  const resource = findResource(tenant, resourceUri);
  if (!resource) throw aadsts.resourceNotFound(resourceUri, tenant.id);
  const roles = grantedAppRoles(tenant, client.sp.id, resource);
  const access = await mintAppAccessToken(state, { tenant, clientApp: client.app, clientSp: client.sp, resource, roles, grantType: 'client_credentials' });
  if (version === 2) return { token_type: 'Bearer', expires_in: access.expiresIn, ext_expires_in: access.expiresIn, access_token: access.token };
  const nowS = Math.floor(state.now().getTime() / 1000);
  return {
    token_type: 'Bearer', expires_in: String(access.expiresIn), ext_expires_in: String(access.expiresIn),
    expires_on: String(nowS + access.expiresIn), not_before: String(nowS - 300), resource: resourceUri, access_token: access.token,
  };
}

/** Resource owner password credentials: no MFA possible, so MFA policies answer AADSTS50076. */
async function passwordGrant(state: EmulatorState, version: Version, segment: string, body: Form, authorization?: string) {
  if (!body.username) throw aadsts.missingParameter('username');
  if (!body.password) throw aadsts.missingParameter('password');
  if (['common', 'consumers'].includes(segment.toLowerCase())) throw aadsts.grantNotOnCommon();
  const tenant = pathTenant(state, segment) ?? state.scenario.tenants.find((t) => t.domains.some((d) => body.username!.toLowerCase().endsWith(`@${d.toLowerCase()}`)));
  if (!tenant) throw aadsts.tenantNotFound(segment);
  const client = authenticateClient(tenant, body, authorization, state.now(), state.scenario);
  const user = tenant.users.find((u) => u.userPrincipalName.toLowerCase() === body.username!.trim().toLowerCase());
  if (!user) throw aadsts.userNotFound(tenant.id);
  if (user.password !== body.password) throw aadsts.badPassword();
  const target = targetOf(version, body, []);
  checkUserPolicies(tenant, user, false, target.resourceUri);
  const scopes = version === 2 ? (body.scope ?? '').split(/\s+/).filter(Boolean) : [];
  return issueUserTokens(state, version, {
    tenant, client, user, target, mfa: false, authTime: Math.floor(state.now().getTime() / 1000), sessionId: randomUUID(), grantType: 'password',
    withIdToken: version === 1 || scopes.includes('openid'), withRefreshToken: version === 1 || scopes.includes('offline_access'),
    withClientInfo: body.client_info === '1', grantScopes: scopes,
  });
}

async function handleToken(state: EmulatorState, request: FastifyRequest, reply: FastifyReply, version: Version) {
  const { tenant: segment } = request.params as { tenant: string };
  // Entra reads only form bodies: a JSON body looks like a request without parameters.
  const isForm = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  const body = (isForm ? request.body ?? {} : {}) as Form;
  const correlationId = (request.headers['client-request-id'] as string | undefined) ?? randomUUID();
  reply.header('cache-control', 'no-store, no-cache').header('pragma', 'no-cache').header('x-ms-request-id', randomUUID());
  if (correlationId) reply.header('client-request-id', correlationId);
  try {
    const authorization = request.headers.authorization;
    let result: Record<string, unknown>;
    switch (body.grant_type) {
      case 'authorization_code': result = await authorizationCodeGrant(state, version, segment, body, authorization); break;
      case 'refresh_token': result = await refreshTokenGrant(state, version, segment, body, authorization); break;
      case 'client_credentials': result = await clientCredentialsGrant(state, version, segment, body, authorization); break;
      case 'password': result = await passwordGrant(state, version, segment, body, authorization); break;
      case undefined: case '': throw aadsts.missingParameter('grant_type');
      default: throw aadsts.unsupportedGrant(body.grant_type);
    }
    return reply.status(200).send(result);
  } catch (err) {
    if (!(err instanceof AadstsError)) throw err;
    logEvent(state, 'token.error', { grantType: body.grant_type, clientId: body.client_id, code: err.code, error: err.error });
    return reply.status(err.status).send(aadErrorBody(err, state.now(), correlationId));
  }
}

export function registerTokenEndpoints(app: FastifyInstance, state: EmulatorState): void {
  app.post('/:tenant/oauth2/v2.0/token', (request, reply) => handleToken(state, request, reply, 2));
  app.post('/:tenant/oauth2/token', (request, reply) => handleToken(state, request, reply, 1));
}
