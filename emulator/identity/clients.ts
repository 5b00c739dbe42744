// Client authentication and redirect URI registration, as Entra enforces them.
import { AadstsError, aadsts, aadstsMore } from './errors.ts';
import { findApp, findClientApp, spByAppId } from '../directory.ts';
import type { Scenario, ScenarioApplication, ScenarioServicePrincipal, ScenarioTenant } from '../scenarios/types.ts';

export interface AuthenticatedClient {
  app: ScenarioApplication;
  sp: ScenarioServicePrincipal;
}

/** client_id + secret from the form body (client_secret_post) or the Basic header (client_secret_basic). */
export function clientCredentialsFrom(body: Record<string, string>, authorization: string | undefined): { clientId?: string; secret?: string } {
  const basic = /^Basic\s+(.+)$/i.exec(authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      // RFC 6749 2.3.1: both parts are form-urlencoded before being joined.
      const decode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
      return { clientId: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
    }
  }
  return { clientId: body.client_id, secret: body.client_secret };
}

export function authenticateClient(tenant: ScenarioTenant, body: Record<string, string>, authorization: string | undefined, now: Date, scenario?: Scenario): AuthenticatedClient {
  const { clientId, secret } = clientCredentialsFrom(body, authorization);
  if (!clientId) throw aadsts.missingParameter('client_id');
  // A multi-tenant app of another publisher counts once consent created its service principal here.
  const app = scenario ? findClientApp(scenario, tenant, clientId) : findApp(tenant, clientId);
  const sp = spByAppId(tenant, clientId);
  if (!app || !sp) throw aadsts.appNotFound(clientId, tenant.id);
  if (app.isPublicClient) {
    if (secret !== undefined) throw aadsts.publicClientWithSecret();
    return { app, sp };
  }
  if (secret === undefined || secret === '') throw aadsts.secretMissing();
  // Exact comparison: a pasted trailing space or the secret's ID instead of its value fails, as on Entra.
  const credential = app.passwordCredentials.find((c) => c.secretText === secret);
  if (!credential || new Date(credential.startDateTime) > now) throw aadsts.invalidSecret(app.appId);
  if (credential.remainingTokenRequests !== undefined) {
    // A secret set to run out (scenario secret-expires-during-sync): expired from this request on.
    if (credential.remainingTokenRequests <= 0) {
      if (new Date(credential.endDateTime) > now) credential.endDateTime = now.toISOString();
      delete credential.remainingTokenRequests;
    } else {
      credential.remainingTokenRequests -= 1;
    }
  }
  if (new Date(credential.endDateTime) <= now) throw aadsts.expiredSecret(app.appId);
  return { app, sp };
}

export function requireConfidential(client: AuthenticatedClient): void {
  if (client.app.isPublicClient) throw aadstsMore.publicClientNotAllowed();
}

/**
 * Entra compares a request's redirect URI with the URIs registered on the app (never anything
 * else): exactly, the path case-sensitive, except that the port of an http loopback address
 * (localhost, 127.0.0.1, [::1]) is ignored ("Redirect URI (reply URL) restrictions and
 * limitations", https://learn.microsoft.com/en-us/entra/identity-platform/reply-url, localhost
 * exceptions). Only a loopback URI the app lists matches on another port.
 */
export function redirectUriRegistered(app: ScenarioApplication, redirectUri: string): boolean {
  const registered = [...app.webRedirectUris, ...app.publicClientRedirectUris];
  if (registered.includes(redirectUri)) return true;
  let wanted: URL;
  try {
    wanted = new URL(redirectUri);
  } catch {
    return false;
  }
  if (wanted.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(wanted.hostname)) return false;
  return registered.some((uri) => {
    try {
      const r = new URL(uri);
      return r.protocol === 'http:' && r.hostname === wanted.hostname && r.pathname === wanted.pathname && r.search === wanted.search;
    } catch {
      return false;
    }
  });
}

export function ensureRedirectUri(app: ScenarioApplication, redirectUri: string): void {
  if (!redirectUriRegistered(app, redirectUri)) throw aadsts.redirectMismatch(redirectUri, app.appId);
}

export { AadstsError };
