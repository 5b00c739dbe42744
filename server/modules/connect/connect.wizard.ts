import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { hmacHex } from '../../lib/crypto.ts';
import { ConflictError, ValidationError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { EntraAppInput, PartnerCenterAppInput } from '../../../contracts/connect.ts';
import { entraAppSchema, partnerCenterAppSchema } from '../../../contracts/connect.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { IdentityClient } from '../microsoft/identity.client.ts';
import { MicrosoftIdentityError } from '../microsoft/microsoft.errors.ts';
import { appCheckLimit, asFieldError, entraAppRefusal, missingGraphRoles, partnerCenterAppRefusal, partnerCenterSecretEnd, type AppDirectory } from './connect.secrets.ts';
import type { MicrosoftCredentials } from '../microsoft/microsoft.credentials.ts';
import type { RequestMeta, SignupService } from '../signup/signup.service.ts';
import type { ConnectRepo, Connection } from './connect.repo.ts';
import type { ConnectService } from './connect.service.ts';
import type { Limit, RateLimitService } from '../ratelimit/ratelimit.service.ts';
import type { TenantOwnership } from './connect.tenant.ts';

// Steps 2 and 3 of the connect wizard: the Entra app and the Partner Center app, each validated
// live against Microsoft before the partner moves on. Secrets go into the vault at once (the Entra
// secret waits sealed until the Partner Center secret, the root of the partner's keys, arrives).

export { appCheckLimit, REQUIRED_GRAPH_ROLES, secretEndFromMicrosoft, type AppDirectory } from './connect.secrets.ts';

export function createConnectWizard(deps: {
  db: Db;
  repo: ConnectRepo;
  signup: SignupService;
  connect: ConnectService;
  audit: AuditService;
  identity: Pick<IdentityClient, 'resolveTenantId'>;
  credentials: MicrosoftCredentials;
  directory: AppDirectory;
  rateLimits: Pick<RateLimitService, 'hit'>;
  tenants: Pick<TenantOwnership, 'refuseIfHeld' | 'guard'>;
  clock: Clock;
  logger: Logger;
  appCheckLimit?: Limit;
}) {
  const { db, repo, signup, connect, audit, identity, credentials, clock, logger } = deps;
  const checkLimit = deps.appCheckLimit ?? appCheckLimit;

  /** Counts one app check of this signup; over the limit, a 429 that says how long to wait. */
  const countAppCheck = (partnerId: string) =>
    deps.rateLimits.hit([{ limit: checkLimit, subject: partnerId }], 'Too many app checks for this signup in the last hour. Take a moment to compare the values with the portal; checking works again shortly.');

  async function partnerTenantId(domain: string): Promise<string | undefined> {
    try {
      return await identity.resolveTenantId(domain);
    } catch (error) {
      if (error instanceof MicrosoftIdentityError) return undefined;
      throw error;
    }
  }

  async function session(sessionId: string | undefined) {
    const current = await signup.currentSession(sessionId);
    await connect.requireTermsAccepted(current.partnerId, { linkSpent: current.linkSpent });
    return current;
  }

  return {
    /**
     * At start-up: Entra secrets that earlier releases kept sealed in `microsoft_connections` (a
     * partner credential outside the vault) move into the vault's pending credentials.
     */
    async moveLegacyPendingSecrets(): Promise<number> {
      let moved = 0;
      for (const row of await repo.legacyPendingSecrets(db)) {
        const sealed = row.pending_entra_secret!;
        await db.transaction().execute(async (tx) => {
          if (!(await repo.clearLegacyPendingSecret(tx, row.partner_id, sealed))) return;
          await credentials.adoptLegacyEntraSecret(tx, row.partner_id, sealed);
          moved++;
        });
      }
      if (moved > 0) logger.info({ moved }, 'pending Entra secrets moved into the vault');
      return moved;
    },

    async saveEntraApp(sessionId: string | undefined, raw: EntraAppInput, meta: RequestMeta) {
      const current = await session(sessionId);
      const input = entraAppSchema.parse(raw);
      await countAppCheck(current.partnerId);
      const tenantId = await identity.resolveTenantId(input.tenant).catch((error) => asFieldError(error, {}, 'tenant'));
      const signedUpTenant = await partnerTenantId(current.entraDomain);
      if (signedUpTenant && signedUpTenant !== tenantId) {
        throw new ValidationError('This is not the tenant you signed up with.', [
          { path: 'tenant', message: `You signed up with ${current.entraDomain}, but this tenant is a different one. Enter ${current.entraDomain} or its Tenant ID, or contact support if your company moved to another tenant.` },
        ]);
      }
      const token = await credentials
        .checkEntraApp({ tenant: tenantId, clientId: input.clientId, clientSecret: input.clientSecret })
        .catch((error) => entraAppRefusal(error));
      const roles = new Set((token.accessClaims.roles as string[] | undefined) ?? []);
      const missing = missingGraphRoles(roles, 'clientId');
      if (missing) throw missing;

      // The tenant must be the signed-up company's own: the domain given at signup is one of its
      // verified domains (whether or not that domain could be resolved on its own).
      const domains = await deps.directory.verifiedDomains(token.accessToken);
      if (!domains.includes(current.entraDomain.toLowerCase())) {
        throw new ValidationError('This tenant does not hold the domain you signed up with.', [
          {
            path: 'tenant',
            message: `You signed up with ${current.entraDomain}, and this tenant has no such verified domain. Enter the tenant that holds ${current.entraDomain} (Entra admin center > Settings > Domain names lists a tenant's domains), or contact support if your company's domain changed.`,
          },
        ]);
      }

      // One live partner per tenant: a tenant another partner has connected is refused here, with
      // the way to support (checked after the credentials, so only the tenant's own admins learn it).
      await deps.tenants.refuseIfHeld(db, current, tenantId, 'entra_app', meta.ip);

      const now = clock.now();
      const existing = await repo.connection(db, current.partnerId);
      // With the vault root already stored, the secret goes straight into the vault.
      const sealedInVault = existing?.partner_center_validated_at ? await credentials.sealEntraSecret(current.partnerId, input.clientSecret) : undefined;
      // A reconnecting partner (committed before) takes the tenant at once: the database may refuse it.
      await deps.tenants.guard(db, current, tenantId, 'entra_app', meta.ip, () => db.transaction().execute(async (tx) => {
        // Before the Partner Center secret (the root of the partner's vault keys) the vault holds it pending.
        if (sealedInVault) await credentials.insertSealed(tx, sealedInVault);
        else await credentials.holdEntraSecret(tx, current.partnerId, input.clientSecret);
        await repo.saveConnection(tx, current.partnerId, {
          tenant_input: input.tenant,
          tenant_id: tenantId,
          entra_app_id: input.clientId,
          entra_secret_hint: input.clientSecret.slice(0, 3),
          entra_validated_at: now,
          last_preflight_run_id: null,
          updated_at: now,
        });
        await audit.record(tx, { actorType: 'partner', partnerId: current.partnerId, action: 'connect.entra_app_validated', ip: meta.ip, details: { tenantId, clientId: input.clientId, roles: [...roles] } });
      }));
    },

    async savePartnerCenterApp(sessionId: string | undefined, raw: PartnerCenterAppInput, meta: RequestMeta) {
      const current = await session(sessionId);
      const input = partnerCenterAppSchema.parse(raw);
      await countAppCheck(current.partnerId);
      const connection = await repo.connection(db, current.partnerId);
      if (!connection?.entra_validated_at || !connection.tenant_id || !connection.entra_app_id) {
        throw new ConflictError('STEP_ORDER', 'Enter and check the Entra app first; the Partner Center app comes next.');
      }
      const tenantId = connection.tenant_id;
      const entraAppId = connection.entra_app_id;
      if (input.webAppId === entraAppId) {
        throw new ValidationError('The Web App ID is the Entra app\u2019s ID.', [
          { path: 'webAppId', message: 'This is the ID of the Entra app you entered in the previous step. The Partner Center web app has its own ID: Partner Center > Account settings > App management > Web app.' },
        ]);
      }
      if (input.nativeAppId === entraAppId) {
        throw new ValidationError('The Native App ID is the Entra app\u2019s ID.', [
          { path: 'nativeAppId', message: 'This is the ID of the Entra app from the previous step. Copy the Native App ID from Partner Center > Account settings > App management > Native app.' },
        ]);
      }

      // Resolve both IDs in the partner's directory, so IDs in the wrong field get a precise answer.
      const entraSecret = await entraSecretOf(connection);
      const graphToken = await credentials.checkEntraApp({ tenant: tenantId, clientId: entraAppId, clientSecret: entraSecret });
      const [webApp, nativeApp] = await Promise.all([deps.directory.application(graphToken.accessToken, input.webAppId), deps.directory.application(graphToken.accessToken, input.nativeAppId)]);
      if (input.webAppId === input.nativeAppId) {
        // One ID in both fields: the directory says which field it belongs to.
        if (webApp?.isPublicClient) {
          throw new ValidationError('The Web App ID is the Native App ID.', [
            { path: 'webAppId', message: `This is the native app\u2019s ID${webApp.displayName ? ` ("${webApp.displayName}")` : ''}, which you also entered as the Native App ID (right there). The Web App ID is a different one: Partner Center > Account settings > App management > Web app.` },
          ]);
        }
        if (webApp) {
          throw new ValidationError('The Native App ID is the Web App ID.', [
            { path: 'nativeAppId', message: `This is the web app\u2019s ID${webApp.displayName ? ` ("${webApp.displayName}")` : ''}, which you also entered as the Web App ID (right there). The Native App ID is a different one: Partner Center > Account settings > App management > Native app.` },
          ]);
        }
        const message = 'Both fields hold the same ID, and no app with it exists in your tenant. Partner Center shows two apps: copy the Web App ID from App management > Web app and the Native App ID from App management > Native app.';
        throw new ValidationError('The Web App ID and the Native App ID are the same.', [{ path: 'webAppId', message }, { path: 'nativeAppId', message }]);
      }
      if (!webApp) {
        throw new ValidationError('No app with this Web App ID exists in your tenant.', [
          { path: 'webAppId', message: 'No app with this ID exists in your tenant. Copy the Web App ID from Partner Center > Account settings > App management > Web app.' },
        ]);
      }
      if (webApp.isPublicClient) {
        throw new ValidationError('The Web App ID belongs to a native app.', [
          { path: 'webAppId', message: `This ID belongs to a native (public client) app${webApp.displayName ? ` ("${webApp.displayName}")` : ''}. It goes in the Native App ID field; the Web App ID is in Partner Center > Account settings > App management > Web app.` },
        ]);
      }
      if (!nativeApp) {
        throw new ValidationError('No app with this Native App ID exists in your tenant.', [
          { path: 'nativeAppId', message: 'No app with this ID exists in your tenant. Copy the Native App ID from Partner Center > Account settings > App management > Native app.' },
        ]);
      }
      // The expiry as Microsoft knows it (the key with the typed secret's first characters).
      const { secretExpiresOn, expiresOn, source: expirySource } = partnerCenterSecretEnd(webApp.secrets ?? [], input, clock.now());
      await credentials
        .checkPartnerCenterApp({ tenant: tenantId, clientId: input.webAppId, clientSecret: input.webAppSecret })
        .catch(partnerCenterAppRefusal);

      const sealed = await credentials.sealAppSecrets(current.partnerId, { partnerCenterSecret: input.webAppSecret, partnerCenterSecretExpiresAt: expiresOn, entraSecret });
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        await credentials.insertSealed(tx, sealed);
        await repo.saveConnection(tx, current.partnerId, {
          partner_center_web_app_id: input.webAppId,
          partner_center_native_app_id: input.nativeAppId,
          partner_center_secret_hint: input.webAppSecret.slice(0, 3),
          partner_center_secret_expires_on: secretExpiresOn,
          partner_center_validated_at: now,
          last_preflight_run_id: null,
          updated_at: now,
        });
        await audit.record(tx, { actorType: 'partner', partnerId: current.partnerId, action: 'connect.partner_center_app_validated', ip: meta.ip, details: { webAppId: input.webAppId, nativeAppId: input.nativeAppId, secretExpiresOn, expirySource } });
      });
    },
  };

  async function entraSecretOf(connection: Connection): Promise<string> {
    return (await credentials.pendingEntraSecret(connection.partner_id)) ?? credentials.openEntraSecret(connection.partner_id);
  }
}

export type ConnectWizard = ReturnType<typeof createConnectWizard>;

/** The browser session a Microsoft sign-in belongs to, without revealing the session id. */
export function sessionBinding(key: Buffer, sessionId: string): string {
  return hmacHex(key, `oauth:${sessionId}`);
}
