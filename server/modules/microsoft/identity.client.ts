import * as oidc from 'openid-client';
import { decodeJwt, type JWTPayload } from 'jose';
import { UnavailableError } from '../../lib/errors.ts';
import { MicrosoftIdentityError, aadstsCode } from './microsoft.errors.ts';
import type { CredentialSource } from './microsoft.failures.ts';

// The Microsoft identity platform through a standards OAuth 2.0 / OpenID Connect client
// (openid-client): authorization code with PKCE, state and nonce; refresh tokens (which we must
// keep, so MSAL's hidden cache does not fit); client credentials. Only the authority host differs
// between Microsoft and the emulator.

export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  expiresAt: Date;
  scope: string;
  /** Claims of the access token (v1 tokens for Graph and Partner Center carry amr, wids, roles). */
  accessClaims: JWTPayload & Record<string, unknown>;
  idClaims: (JWTPayload & Record<string, unknown>) | undefined;
}

export interface SignInRequest {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export function createIdentityClient(deps: { authorityHost: string; timeoutMs?: number; now?: () => Date }) {
  const host = deps.authorityHost.replace(/\/+$/, '');
  const now = deps.now ?? (() => new Date());
  const servers = new Map<string, Promise<oidc.ServerMetadata>>();
  const tenants = new Map<string, string>();

  /** Microsoft answers a domain's discovery with its tenant GUID as issuer; resolve that first. */
  async function resolveTenantId(tenant: string): Promise<string> {
    const key = tenant.toLowerCase();
    const known = tenants.get(key);
    if (known) return known;
    let response: Response;
    try {
      response = await fetch(`${host}/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`, { signal: AbortSignal.timeout(deps.timeoutMs ?? 15_000) });
    } catch {
      throw new UnavailableError('MICROSOFT_UNREACHABLE', 'Microsoft\u2019s sign-in service could not be reached. Nothing was lost; please try again in a minute.');
    }
    const body = (await response.json().catch(() => ({}))) as { issuer?: string; error?: string; error_description?: string; error_codes?: number[] };
    if (!response.ok || !body.issuer) {
      throw new MicrosoftIdentityError(aadstsCode(body.error_description, body.error_codes) ?? 90002, body.error ?? 'invalid_tenant', body.error_description ?? '', `Tenant "${tenant}"`);
    }
    const id = /\/([0-9a-f-]{36})\/v2\.0\/?$/i.exec(body.issuer)?.[1];
    if (!id) throw new MicrosoftIdentityError(90002, 'invalid_tenant', `Unexpected issuer ${body.issuer}`, `Tenant "${tenant}"`);
    tenants.set(key, id);
    return id;
  }

  /** The tenant's OpenID configuration (endpoints, issuer, keys' address): public, cached per tenant. */
  function serverMetadata(tenantId: string): Promise<oidc.ServerMetadata> {
    let pending = servers.get(tenantId);
    if (!pending) {
      const issuer = new URL(`${host}/${tenantId}/v2.0`);
      pending = oidc
        .discovery(issuer, 'discovery', undefined, oidc.None(), {
          // Plain http is the local emulator only; Microsoft itself is https.
          ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
          timeout: Math.ceil((deps.timeoutMs ?? 15_000) / 1000),
        })
        .then((config) => ({ ...config.serverMetadata() }))
        .catch((error) => {
          servers.delete(tenantId);
          throw translate(error, 'Microsoft sign-in');
        });
      servers.set(tenantId, pending);
    }
    return pending;
  }

  /**
   * A client for one app and one secret, made for each call: nothing keyed on the secret is kept,
   * so Microsoft judges a secret every time it is offered. Token times are checked with five
   * minutes of tolerance (as Microsoft's own token validation allows) against this app's clock,
   * which tests may move.
   */
  async function configuration(tenantId: string, clientId: string, clientSecret: string): Promise<oidc.Configuration> {
    const server = await serverMetadata(tenantId);
    const config = new oidc.Configuration(
      server,
      clientId,
      { client_secret: clientSecret, [oidc.clockSkew]: Math.round((now().getTime() - Date.now()) / 1000), [oidc.clockTolerance]: 300 },
      oidc.ClientSecretPost(clientSecret),
    );
    if (host.startsWith('http:')) oidc.allowInsecureRequests(config);
    config.timeout = Math.ceil((deps.timeoutMs ?? 15_000) / 1000);
    return config;
  }

  function toTokenSet(response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): TokenSet {
    return {
      accessToken: response.access_token,
      refreshToken: response.refresh_token,
      expiresAt: new Date(now().getTime() + (response.expires_in ?? 3600) * 1000),
      scope: response.scope ?? '',
      accessClaims: decodeJwt(response.access_token) as TokenSet['accessClaims'],
      idClaims: response.claims() as TokenSet['idClaims'],
    };
  }

  return {
    resolveTenantId,

    /** App-only token: `scope` is `<resource>/.default`. */
    async clientCredentials(input: { tenant: string; clientId: string; clientSecret: string; scope: string; context: string; source?: CredentialSource }): Promise<TokenSet> {
      const tenantId = await resolveTenantId(input.tenant);
      const config = await configuration(tenantId, input.clientId, input.clientSecret);
      try {
        return toTokenSet(await oidc.clientCredentialsGrant(config, { scope: input.scope }));
      } catch (error) {
        throw translate(error, input.context, input.source);
      }
    },

    /**
     * The authorize request. `requireMfa` asks Entra to prompt for multi-factor authentication
     * (`amr_values=mfa`), so an account with a method registered is asked for it even when no
     * Conditional Access policy requires it. The parameter is the one Microsoft's Partner Center
     * secure-app-model consent sample sends (Partner-Center-DotNet-Samples, secure-app-model/keyvault/
     * PartnerConsent/App_Start/Startup.Auth.cs), documented as `amr_values` in MS-OAPX 2.2.2.10
     * (https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-oapx/0fc398ca-88d0-4118-ae60-c3033e396e60).
     * Asking is not proof: the caller still reads `amr` from the token.
     */
    async beginSignIn(input: { tenant: string; clientId: string; clientSecret: string; redirectUri: string; scope: string; loginHint?: string; requireMfa?: boolean }): Promise<SignInRequest & { tenantId: string }> {
      const tenantId = await resolveTenantId(input.tenant);
      const config = await configuration(tenantId, input.clientId, input.clientSecret);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: input.redirectUri,
        scope: input.scope,
        response_type: 'code',
        response_mode: 'query',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        // Always ask for the password: a browser's cached Microsoft identity must not slip in.
        prompt: 'login',
        ...(input.requireMfa ? { amr_values: 'mfa' } : {}),
        ...(input.loginHint ? { login_hint: input.loginHint } : {}),
      });
      return { url: url.toString(), state, nonce, codeVerifier, tenantId };
    },

    /** Redeems the code; openid-client checks state, PKCE, the id token's signature, issuer, audience and nonce. */
    async completeSignIn(input: { tenantId: string; clientId: string; clientSecret: string; callbackUrl: URL; state: string; nonce: string; codeVerifier: string }): Promise<TokenSet> {
      const config = await configuration(input.tenantId, input.clientId, input.clientSecret);
      try {
        const response = await oidc.authorizationCodeGrant(config, input.callbackUrl, {
          pkceCodeVerifier: input.codeVerifier,
          expectedState: input.state,
          expectedNonce: input.nonce,
          idTokenExpected: true,
        });
        return toTokenSet(response);
      } catch (error) {
        throw translate(error, 'Microsoft sign-in');
      }
    },

    async refresh(input: { tenantId: string; clientId: string; clientSecret: string; refreshToken: string; scope: string; context: string; source?: CredentialSource }): Promise<TokenSet> {
      const config = await configuration(input.tenantId, input.clientId, input.clientSecret);
      try {
        return toTokenSet(await oidc.refreshTokenGrant(config, input.refreshToken, { scope: input.scope }));
      } catch (error) {
        throw translate(error, input.context, input.source);
      }
    },
  };
}

export type IdentityClient = ReturnType<typeof createIdentityClient>;

/**
 * `source` names the credential Microsoft judged: for a refresh, a secret error (7000222, 7000215)
 * is about the app's secret while a grant error (50173, 700082) is about the user; the failure
 * table picks the wording by code, so the caller's source only says which app.
 */
function translate(error: unknown, context: string, source?: CredentialSource): Error {
  if (error instanceof MicrosoftIdentityError || error instanceof UnavailableError) return error;
  if (error instanceof oidc.ResponseBodyError) {
    const body = error.cause as { error_codes?: unknown };
    return new MicrosoftIdentityError(aadstsCode(error.error_description, body.error_codes), error.error, error.error_description ?? '', context, source);
  }
  if (error instanceof oidc.AuthorizationResponseError) {
    return new MicrosoftIdentityError(aadstsCode(error.error_description), error.error, error.error_description ?? '', context, source);
  }
  const cause = (error as { cause?: { code?: string } })?.cause;
  if (error instanceof TypeError || cause?.code === 'ECONNREFUSED' || (error as Error)?.name === 'TimeoutError') {
    return new UnavailableError('MICROSOFT_UNREACHABLE', 'Microsoft\u2019s sign-in service could not be reached. Nothing was lost; please try again in a minute.');
  }
  return error instanceof Error ? error : new Error(String(error));
}
