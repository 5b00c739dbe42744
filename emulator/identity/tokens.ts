// Minting and checking tokens. Access tokens are v1-format JWTs for Graph and Partner Center
// (as Microsoft issues them for those APIs, whichever endpoint was called); id tokens are v2.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import type { ScenarioApplication, ScenarioServicePrincipal, ScenarioTenant, ScenarioUser } from '../scenarios/types.ts';
import { logToken, type EmulatorState } from '../state.ts';
import { userWids } from '../directory.ts';

/** Microsoft's default access token lifetime: a random value between 60 and 90 minutes. */
function lifetimeSeconds(): number {
  return randomInt(3600, 5400);
}

/**
 * Entra dates `iat` and `nbf` five minutes before the issuance (clock skew), so `exp - iat` is
 * the lifetime plus 300 s: the access token sample of "Access token claims reference"
 * (https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference) has
 * iat = nbf = 1537231048 and exp = 1537234948 (3,900 s for a one-hour token).
 */
const BACKDATE_SECONDS = 300;

function times(state: EmulatorState, lifetime: number): { iat: number; nbf: number; exp: number } {
  const now = Math.floor(state.now().getTime() / 1000);
  return { iat: now - BACKDATE_SECONDS, nbf: now - BACKDATE_SECONDS, exp: now + lifetime };
}

/** `uti`: a unique token id; MSAL's cache keys on it, so it must never repeat. */
function newUti(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

/** Stands in for the opaque `aio`, `rh` and `sid`-style values Microsoft puts in tokens. */
function opaque(length: number): string {
  return randomBytes(length).toString('base64url');
}

/** Entra's `sub` is pairwise: stable per user and app, different between apps. */
export function pairwiseSubject(objectId: string, appId: string): string {
  return createHash('sha256').update(`${objectId}|${appId}`).digest('base64url').slice(0, 43);
}

export function v1Issuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

export function v2Issuer(baseUrl: string, tenantId: string): string {
  return `${baseUrl}/${tenantId}/v2.0`;
}

async function sign(state: EmulatorState, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: state.key.kid, x5t: state.key.x5t })
    .sign(state.key.privateKey);
}

export interface MintedToken {
  token: string;
  expiresIn: number;
  uti: string;
  claims: JWTPayload;
}

export interface UserAccessTokenInput {
  tenant: ScenarioTenant;
  user: ScenarioUser;
  clientApp: ScenarioApplication;
  resource: ScenarioServicePrincipal;
  scopes: string[];
  mfa: boolean;
  authTime: number;
  sessionId: string;
  grantType: string;
}

export async function mintUserAccessToken(state: EmulatorState, input: UserAccessTokenInput): Promise<MintedToken> {
  const expiresIn = lifetimeSeconds();
  const uti = newUti();
  const { tenant, user, clientApp, resource } = input;
  const claims: JWTPayload = {
    aud: resource.resourceUri ?? resource.appId,
    iss: v1Issuer(tenant.id),
    ...times(state, expiresIn),
    acct: 0,
    acr: '1',
    aio: opaque(40),
    amr: input.mfa ? ['pwd', 'mfa'] : ['pwd'],
    app_displayname: clientApp.displayName,
    appid: clientApp.appId,
    appidacr: clientApp.isPublicClient ? '0' : '1',
    auth_time: input.authTime,
    family_name: user.surname,
    given_name: user.givenName,
    idtyp: 'user',
    ipaddr: '127.0.0.1',
    name: user.displayName,
    oid: user.id,
    platf: '3',
    puid: createHash('sha256').update(user.id).digest('hex').slice(0, 16).toUpperCase(),
    rh: opaque(32),
    scp: input.scopes.join(' '),
    sid: input.sessionId,
    sub: pairwiseSubject(user.id, clientApp.appId),
    tenant_region_scope: 'EU',
    tid: tenant.id,
    unique_name: user.userPrincipalName,
    upn: user.userPrincipalName,
    uti,
    ver: '1.0',
    wids: userWids(tenant, user.id),
  };
  const token = await sign(state, claims);
  logToken(state, {
    uti, kind: 'access_token', grantType: input.grantType, tenantId: tenant.id, clientId: clientApp.appId,
    userPrincipalName: user.userPrincipalName, audience: String(claims.aud), scp: String(claims.scp), amr: claims.amr as string[],
  });
  return { token, expiresIn, uti, claims };
}

export interface AppAccessTokenInput {
  tenant: ScenarioTenant;
  clientApp: ScenarioApplication;
  clientSp: ScenarioServicePrincipal;
  resource: ScenarioServicePrincipal;
  roles: string[];
  grantType: string;
}

export async function mintAppAccessToken(state: EmulatorState, input: AppAccessTokenInput): Promise<MintedToken> {
  const expiresIn = lifetimeSeconds();
  const uti = newUti();
  const { tenant, clientApp, clientSp, resource } = input;
  const claims: JWTPayload = {
    aud: resource.resourceUri ?? resource.appId,
    iss: v1Issuer(tenant.id),
    ...times(state, expiresIn),
    aio: opaque(40),
    app_displayname: clientApp.displayName,
    appid: clientApp.appId,
    appidacr: '1',
    idp: v1Issuer(tenant.id),
    idtyp: 'app',
    oid: clientSp.id,
    rh: opaque(32),
    // Microsoft omits `roles` entirely when the app holds no application permission.
    ...(input.roles.length > 0 ? { roles: input.roles } : {}),
    sub: clientSp.id,
    tenant_region_scope: 'EU',
    tid: tenant.id,
    uti,
    ver: '1.0',
  };
  const token = await sign(state, claims);
  logToken(state, {
    uti, kind: 'access_token', grantType: input.grantType, tenantId: tenant.id, clientId: clientApp.appId,
    audience: String(claims.aud), roles: input.roles,
  });
  return { token, expiresIn, uti, claims };
}

export interface IdTokenInput {
  tenant: ScenarioTenant;
  user: ScenarioUser;
  clientId: string;
  nonce?: string;
  authTime: number;
  sessionId: string;
  grantType: string;
  scopes: string[];
}

/** v2 id_token. It carries no `amr` (Microsoft only puts it in v1 tokens). */
export async function mintIdToken(state: EmulatorState, input: IdTokenInput): Promise<string> {
  const uti = newUti();
  const { tenant, user } = input;
  const claims: JWTPayload = {
    aud: input.clientId,
    iss: v2Issuer(state.baseUrl, tenant.id),
    ...times(state, 3600),
    aio: opaque(40),
    ...(input.scopes.includes('email') ? { email: user.userPrincipalName } : {}),
    name: user.displayName,
    ...(input.nonce ? { nonce: input.nonce } : {}),
    oid: user.id,
    preferred_username: user.userPrincipalName,
    rh: opaque(32),
    sid: input.sessionId,
    sub: pairwiseSubject(user.id, input.clientId),
    tid: tenant.id,
    uti,
    ver: '2.0',
  };
  const token = await sign(state, claims);
  logToken(state, { uti, kind: 'id_token', grantType: input.grantType, tenantId: tenant.id, clientId: input.clientId, userPrincipalName: user.userPrincipalName, audience: input.clientId });
  return token;
}

/** `client_info`: base64url JSON {uid, utid}; MSAL builds its account id from it. */
export function clientInfo(userId: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: userId, utid: tenantId })).toString('base64url');
}

export type VerifyResult =
  | { ok: true; claims: JWTPayload & Record<string, unknown> }
  | { ok: false; reason: 'missing' | 'malformed' | 'signature' | 'expired' | 'audience' };

const CLOCK_TOLERANCE_S = 300;

// A client sends the same access token with every call until it expires, so a token's signature is
// checked once per signing key and the outcome kept (the most recent tokens, a bounded number): an
// RSA check on every call of an import was a visible share of a test run's CPU. Its lifetime and
// audience are checked on every call, as before.
const MAX_VERIFIED = 2000;
const verifiedByKey = new WeakMap<CryptoKey, Map<string, JWTPayload>>();

function rememberVerified(key: CryptoKey, token: string, payload: JWTPayload): void {
  let verified = verifiedByKey.get(key);
  if (!verified) verifiedByKey.set(key, (verified = new Map()));
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  verified.set(token, payload);
}

/** A token whose signature was checked before: its lifetime, against the emulator's clock now. */
function checkLifetime(payload: JWTPayload, now: Date): VerifyResult | undefined {
  const seconds = Math.floor(now.getTime() / 1000);
  if (typeof payload.exp === 'number' && payload.exp <= seconds - CLOCK_TOLERANCE_S) return { ok: false, reason: 'expired' };
  if (typeof payload.nbf === 'number' && payload.nbf > seconds + CLOCK_TOLERANCE_S) return { ok: false, reason: 'malformed' };
  return undefined;
}

/** Check a bearer token the way a resource API does: signature, lifetime, audience. */
export async function verifyAccessToken(state: EmulatorState, authorization: string | undefined, audiences: string[]): Promise<VerifyResult> {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  if (!match) return { ok: false, reason: 'missing' };
  const token = match[1]!.trim();
  try {
    let payload = verifiedByKey.get(state.key.publicKey)?.get(token);
    if (payload) {
      const refused = checkLifetime(payload, state.now());
      if (refused) return refused;
    } else {
      ({ payload } = await jwtVerify(token, state.key.publicKey, { algorithms: ['RS256'], currentDate: state.now(), clockTolerance: CLOCK_TOLERANCE_S }));
      rememberVerified(state.key.publicKey, token, payload);
    }
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!aud.some((a) => typeof a === 'string' && audiences.includes(a))) return { ok: false, reason: 'audience' };
    return { ok: true, claims: payload as JWTPayload & Record<string, unknown> };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') return { ok: false, reason: 'expired' };
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return { ok: false, reason: 'signature' };
    return { ok: false, reason: 'malformed' };
  }
}
