// Shared helpers for the emulator's own tests.
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { request, type Dispatcher } from 'undici';
import { toHeaders } from '../../test/support/http.ts';
import { completeSignIn, type Emulator, type SignInOutcome } from '../index.ts';

export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
}

// Over undici's request() (no redirect followed), as the tests' own HTTP client (test/support/http.ts).
async function read(response: Dispatcher.ResponseData): Promise<HttpResult> {
  const text = await response.body.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch { /* not JSON */ }
  return { status: response.statusCode, headers: toHeaders(response.headers), body };
}

export async function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> {
  return read(await request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(params).toString() }));
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  return read(await request(url, { headers }));
}

export async function sendJson(method: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return read(await request(url, { method: method as Dispatcher.HttpMethod, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const REDIRECT_URI = 'http://localhost:8765/callback';

/**
 * Loads a built-in scenario and registers REDIRECT_URI on the Total One app as well: these tests
 * also sign users in to that app (the product does not; the scenarios register nothing on it).
 */
export function loadScenarioSigningInToTotalOneApp(e: Emulator, name: string): void {
  e.loadScenario(name);
  e.patch({ op: 'addRedirectUri', uri: REDIRECT_URI, appId: e.facts.totalOneApp.appId });
}

export interface AuthorizeParams {
  clientId: string;
  scope: string;
  tenant?: string;
  redirectUri?: string;
  challenge?: string;
  prompt?: string;
  nonce?: string;
  responseMode?: string;
  state?: string;
}

export function authorizeUrl(e: Emulator, p: AuthorizeParams): string {
  const url = new URL(`${e.baseUrl}/${p.tenant ?? e.facts.tenantId}/oauth2/v2.0/authorize`);
  url.search = new URLSearchParams({
    client_id: p.clientId, response_type: 'code', redirect_uri: p.redirectUri ?? REDIRECT_URI, scope: p.scope,
    state: p.state ?? 'state-123', nonce: p.nonce ?? 'nonce-456',
    ...(p.challenge ? { code_challenge: p.challenge, code_challenge_method: 'S256' } : {}),
    ...(p.prompt ? { prompt: p.prompt } : {}),
    ...(p.responseMode ? { response_mode: p.responseMode } : {}),
  }).toString();
  return url.toString();
}

export const PC_SCOPE = 'https://api.partnercenter.microsoft.com/user_impersonation offline_access openid profile';

export interface UserTokens {
  signIn: SignInOutcome;
  token: HttpResult;
  verifier: string;
}

/** Sign the service account in to the Partner Center web app and redeem the code. */
export async function signInServiceAccount(e: Emulator, options: { scope?: string; clientId?: string; secret?: string; consent?: 'accept' | 'accept-for-organization' | 'cancel' } = {}): Promise<UserTokens> {
  const f = e.facts;
  const { verifier, challenge } = pkcePair();
  const clientId = options.clientId ?? f.partnerCenter.webAppId;
  const scope = options.scope ?? PC_SCOPE;
  const signIn = await completeSignIn({
    authorizeUrl: authorizeUrl(e, { clientId, scope, challenge }),
    username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp(), consent: options.consent ?? 'accept',
  });
  if (!signIn.code) return { signIn, token: { status: 0, headers: new Headers(), body: undefined }, verifier };
  const token = await postForm(`${e.baseUrl}/${f.tenantId}/oauth2/v2.0/token`, {
    grant_type: 'authorization_code', client_id: clientId, client_secret: options.secret ?? f.partnerCenter.webAppSecret!,
    code: signIn.code, redirect_uri: REDIRECT_URI, code_verifier: verifier, scope, client_info: '1',
  });
  return { signIn, token, verifier };
}

export async function appToken(e: Emulator, resource = 'https://graph.microsoft.com'): Promise<string> {
  const f = e.facts;
  const appId = resource.includes('partnercenter') ? f.partnerCenter.webAppId : f.totalOneApp.appId;
  const secret = resource.includes('partnercenter') ? f.partnerCenter.webAppSecret! : f.totalOneApp.secret!;
  const r = await postForm(`${e.baseUrl}/${f.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: appId, client_secret: secret, scope: `${resource}/.default` });
  if (r.status !== 200) throw new Error(`client_credentials failed: ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

export function claims(token: string): Record<string, any> {
  return decodeJwt(token) as Record<string, any>;
}

/** Asserts Microsoft's AADSTS error body shape and returns the code. */
export function aadCode(body: any): number {
  if (typeof body?.error !== 'string' || !Array.isArray(body.error_codes) || typeof body.trace_id !== 'string' || typeof body.correlation_id !== 'string' || typeof body.timestamp !== 'string' || typeof body.error_uri !== 'string') {
    throw new Error(`Not an AADSTS error body: ${JSON.stringify(body)}`);
  }
  const code = body.error_codes[0];
  if (!String(body.error_description).startsWith(`AADSTS${code}: `)) throw new Error(`error_description does not start with AADSTS${code}: ${body.error_description}`);
  return code;
}
