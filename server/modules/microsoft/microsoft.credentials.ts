import type { DbOrTx } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Vault } from '../vault/vault.service.ts';
import { ROOT_FIELD } from '../vault/vault.fns.ts';
import type { IdentityClient, SignInRequest, TokenSet } from './identity.client.ts';

// The one owner of a partner's Microsoft credentials: which vault fields hold them, which scopes
// TotalOne asks Microsoft for, and the tokens made from them: app-only Microsoft Graph tokens from
// the Entra app's secret, and Partner Center user tokens from the service account's stored refresh
// token, renewed with the Partner Center web app's secret. Microsoft rotates refresh tokens: each
// renewal stores the newest one back in the vault (that is also what keeps the sign-in alive).
//
// Connect (the wizard, the sign-in, the checks), the sync and the console use this service; none of
// them names a vault field or a scope. What Microsoft's refusals mean is decided by the failure
// classifier (microsoft.failures.ts); the errors thrown here carry the credential they concern
// (`source`), so the classifier can name the right app.

/** The vault fields of a partner's Microsoft credentials. */
export const credentialFields = {
  /** Client secret of the Entra app the partner registered for TotalOne. */
  entraSecret: 'entra_client_secret',
  /** Secret (key) of the Partner Center web app: also the root of the partner's vault keys. */
  partnerCenterSecret: ROOT_FIELD,
  /** The service account's refresh token for Partner Center (rotates on every use). */
  partnerCenterRefreshToken: 'partner_center_refresh_token',
  /** The service account's refresh token for Microsoft Graph (delegated User.Read), when granted. */
  graphRefreshToken: 'graph_refresh_token',
} as const;

export type CredentialField = (typeof credentialFields)[keyof typeof credentialFields];

/** Operator-facing names of the fields (the console shows them next to the masked hints). */
export const credentialLabels: Record<CredentialField, string> = {
  entra_client_secret: 'Entra app client secret',
  partner_center_web_app_secret: 'Partner Center web app secret (vault root)',
  partner_center_refresh_token: 'Service account sign-in for Partner Center (refresh token)',
  graph_refresh_token: 'Service account sign-in for Microsoft Graph (refresh token)',
};

export function credentialLabel(field: string): string {
  return credentialLabels[field as CredentialField] ?? field;
}

/** What TotalOne asks Microsoft for. */
export const microsoftScopes = {
  /** App-only Microsoft Graph: the application permissions granted to the Entra app. */
  graphApp: 'https://graph.microsoft.com/.default',
  /** App-only Partner Center: proves the Partner Center web app and its secret. */
  partnerCenterApp: 'https://api.partnercenter.microsoft.com/.default',
  /** The service account's delegated Partner Center access, with a refresh token. */
  partnerCenterUser: 'https://api.partnercenter.microsoft.com/user_impersonation offline_access openid profile',
  /** The service account's delegated Graph access (same refresh token family). */
  graphUser: 'https://graph.microsoft.com/User.Read offline_access',
} as const;

/** Where a partner's apps live: from its Microsoft connection. */
export interface PartnerTenant {
  tenantId: string;
}
export interface EntraAppRef extends PartnerTenant {
  entraAppId: string;
}
export interface PartnerCenterAppRef extends PartnerTenant {
  partnerCenterWebAppId: string;
}

/** A cached Partner Center user token for one long operation (a sync run), renewed before it expires. */
export interface PartnerCenterSession {
  get(): Promise<string>;
  /** Forget the cached token (Partner Center refused it): the next get() renews. */
  invalidate(): void;
}

const RENEW_BEFORE_MS = 5 * 60_000;

export function createMicrosoftCredentials(deps: {
  identity: Pick<IdentityClient, 'clientCredentials' | 'refresh' | 'beginSignIn' | 'completeSignIn'>;
  vault: Pick<Vault, 'open' | 'openMany' | 'replace' | 'seal' | 'insertSealed' | 'holdPending' | 'openPending' | 'holdPendingFromLegacy'>;
  clock: Clock;
}) {
  const { identity, vault, clock } = deps;
  type Sealed = Awaited<ReturnType<Vault['seal']>>;

  /** Renews the service account's Partner Center token and keeps the rotated refresh token. */
  async function partnerCenterUserToken(partnerId: string, app: PartnerCenterAppRef, context = 'Partner Center sign-in'): Promise<TokenSet> {
    const stored = await vault.openMany(partnerId, [credentialFields.partnerCenterSecret, credentialFields.partnerCenterRefreshToken]);
    const refreshToken = stored[credentialFields.partnerCenterRefreshToken]!;
    const tokens = await identity.refresh({
      tenantId: app.tenantId,
      clientId: app.partnerCenterWebAppId,
      clientSecret: stored[credentialFields.partnerCenterSecret]!,
      refreshToken,
      scope: microsoftScopes.partnerCenterUser,
      context,
      source: 'partner_center_app',
    });
    if (tokens.refreshToken && tokens.refreshToken !== refreshToken) {
      await vault.replace(partnerId, { field: credentialFields.partnerCenterRefreshToken, value: tokens.refreshToken });
    }
    return tokens;
  }

  return {
    // --- values the partner typed, checked before they are stored ---

    /** An app-only Graph token for an Entra app secret that is not stored yet (the wizard checks it). */
    checkEntraApp(input: { tenant: string; clientId: string; clientSecret: string }): Promise<TokenSet> {
      return identity.clientCredentials({ ...input, scope: microsoftScopes.graphApp, context: 'Entra app', source: 'entra_app' });
    },

    /** An app-only Partner Center token: proves the Partner Center web app's ID and secret. */
    checkPartnerCenterApp(input: { tenant: string; clientId: string; clientSecret: string }): Promise<TokenSet> {
      return identity.clientCredentials({ ...input, scope: microsoftScopes.partnerCenterApp, context: 'Partner Center web app', source: 'partner_center_app' });
    },

    // --- storing (sealed before the transaction, inserted inside it) ---

    sealEntraSecret(partnerId: string, value: string): Promise<Sealed> {
      return vault.seal(partnerId, [{ field: credentialFields.entraSecret, value }]);
    },

    /** The Partner Center web app secret (the vault root) and the Entra app secret, together. */
    sealAppSecrets(partnerId: string, input: { partnerCenterSecret: string; partnerCenterSecretExpiresAt: Date; entraSecret: string }): Promise<Sealed> {
      return vault.seal(partnerId, [
        { field: credentialFields.partnerCenterSecret, value: input.partnerCenterSecret, expiresAt: input.partnerCenterSecretExpiresAt },
        { field: credentialFields.entraSecret, value: input.entraSecret },
      ]);
    },

    /**
     * New app secrets of a connected partner (the credential update). A new Partner Center secret
     * is a new vault root: the vault re-wraps every other record under it when this is inserted.
     */
    sealNewAppSecrets(partnerId: string, input: { entraSecret?: string | undefined; partnerCenterSecret?: { value: string; expiresAt: Date } | undefined }): Promise<Sealed> {
      return vault.seal(partnerId, [
        ...(input.partnerCenterSecret ? [{ field: credentialFields.partnerCenterSecret, value: input.partnerCenterSecret.value, expiresAt: input.partnerCenterSecret.expiresAt }] : []),
        ...(input.entraSecret ? [{ field: credentialFields.entraSecret, value: input.entraSecret }] : []),
      ]);
    },

    /** The service account's refresh tokens from a completed sign-in. */
    sealSignIn(partnerId: string, input: { partnerCenterRefreshToken: string; graphRefreshToken?: string | undefined }): Promise<Sealed> {
      return vault.seal(partnerId, [
        { field: credentialFields.partnerCenterRefreshToken, value: input.partnerCenterRefreshToken },
        ...(input.graphRefreshToken ? [{ field: credentialFields.graphRefreshToken, value: input.graphRefreshToken }] : []),
      ]);
    },

    insertSealed(tx: DbOrTx, sealed: Sealed) {
      return vault.insertSealed(tx, sealed);
    },

    openEntraSecret(partnerId: string): Promise<string> {
      return vault.open(partnerId, credentialFields.entraSecret);
    },

    /**
     * The Entra secret typed before the Partner Center secret (the partner's vault root): the vault
     * holds it pending, in the caller's transaction, and moves it under the partner's keys when
     * `sealAppSecrets` is inserted.
     */
    holdEntraSecret(tx: DbOrTx, partnerId: string, value: string): Promise<void> {
      return vault.holdPending(tx, partnerId, credentialFields.entraSecret, value);
    },

    /** The Entra secret the vault holds pending, or undefined. */
    pendingEntraSecret(partnerId: string): Promise<string | undefined> {
      return vault.openPending(partnerId, credentialFields.entraSecret);
    },

    /** An Entra secret a release before the app keyring kept beside the connection, moved into the vault. */
    adoptLegacyEntraSecret(tx: DbOrTx, partnerId: string, sealed: string): Promise<void> {
      return vault.holdPendingFromLegacy(tx, partnerId, credentialFields.entraSecret, { sealed, context: `pending-entra:${partnerId}` });
    },

    // --- the service account's sign-in ---

    /**
     * The authorize request for the service account (Partner Center web app as the client). It asks
     * Microsoft for multi-factor authentication: Partner Center refuses App+User calls without it.
     */
    async beginSignIn(partnerId: string, app: PartnerCenterAppRef & { redirectUri: string; loginHint?: string }): Promise<SignInRequest & { tenantId: string }> {
      const secret = await vault.open(partnerId, credentialFields.partnerCenterSecret);
      return identity.beginSignIn({
        tenant: app.tenantId,
        clientId: app.partnerCenterWebAppId,
        clientSecret: secret,
        redirectUri: app.redirectUri,
        scope: microsoftScopes.partnerCenterUser,
        requireMfa: true,
        ...(app.loginHint ? { loginHint: app.loginHint } : {}),
      });
    },

    async completeSignIn(partnerId: string, app: PartnerCenterAppRef & { callbackUrl: URL; state: string; nonce: string; codeVerifier: string }): Promise<TokenSet> {
      const secret = await vault.open(partnerId, credentialFields.partnerCenterSecret);
      return identity.completeSignIn({ tenantId: app.tenantId, clientId: app.partnerCenterWebAppId, clientSecret: secret, callbackUrl: app.callbackUrl, state: app.state, nonce: app.nonce, codeVerifier: app.codeVerifier });
    },

    /** A Graph refresh token for the same account, from a fresh Partner Center refresh token (one family). */
    async graphUserRefreshToken(partnerId: string, app: PartnerCenterAppRef, partnerCenterRefreshToken: string): Promise<string | undefined> {
      const secret = await vault.open(partnerId, credentialFields.partnerCenterSecret);
      const tokens = await identity.refresh({
        tenantId: app.tenantId,
        clientId: app.partnerCenterWebAppId,
        clientSecret: secret,
        refreshToken: partnerCenterRefreshToken,
        scope: microsoftScopes.graphUser,
        context: 'Graph',
        source: 'partner_center_app',
      });
      return tokens.refreshToken;
    },

    // --- tokens from the stored credentials ---

    /** An app-only Microsoft Graph token of the partner's Entra app (stored secret). */
    async graphAppToken(partnerId: string, app: EntraAppRef): Promise<TokenSet> {
      const secret = await vault.open(partnerId, credentialFields.entraSecret);
      return identity.clientCredentials({ tenant: app.tenantId, clientId: app.entraAppId, clientSecret: secret, scope: microsoftScopes.graphApp, context: 'Entra app', source: 'entra_app' });
    },

    partnerCenterUserToken,

    /** For a long operation: one token, renewed five minutes before it expires or when invalidated. */
    partnerCenterSession(partnerId: string, app: PartnerCenterAppRef, context = 'Reading your customers'): PartnerCenterSession {
      let current: { accessToken: string; expiresAt: Date } | undefined;
      return {
        invalidate() {
          current = undefined;
        },
        async get() {
          if (current && current.expiresAt.getTime() - RENEW_BEFORE_MS > clock.now().getTime()) return current.accessToken;
          const tokens = await partnerCenterUserToken(partnerId, app, context);
          current = { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt };
          return tokens.accessToken;
        },
      };
    },
  };
}

export type MicrosoftCredentials = ReturnType<typeof createMicrosoftCredentials>;
