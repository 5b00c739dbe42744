import type { Db, DbOrTx } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, ValidationError, type FieldProblem } from '../../lib/errors.ts';
import type { CredentialUpdateInput } from '../../../contracts/credentials.ts';
import { MicrosoftIdentityError } from '../microsoft/microsoft.errors.ts';
import type { MicrosoftCredentials } from '../microsoft/microsoft.credentials.ts';
import type { Limit, RateLimitService } from '../ratelimit/ratelimit.service.ts';
import type { ConnectRepo } from './connect.repo.ts';

// The live checks of the apps' secrets, one copy for the connect wizard (connect.wizard.ts) and for
// a new secret entered after the connection (the credential update, partners.rotation.ts): the
// value is asked of Microsoft before it is stored, and a refusal is answered at the field that
// holds the wrong value, with the fix.

/**
 * Each app check makes token calls to Microsoft with what was typed: bounded per partner, so the
 * pages cannot serve as an oracle for guessing secrets (a partner fixing typos stays far below).
 */
export const appCheckLimit: Limit = { name: 'connect:app-check', max: 20, windowSeconds: 3600 };

export const REQUIRED_GRAPH_ROLES = ['Directory.ReadWrite.All', 'Group.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'User.ReadWrite.All'];

/** Looks up an app registration in the partner's tenant (Graph, app-only token). */
export interface AppDirectory {
  application(token: string, appId: string): Promise<{ appId: string; displayName?: string; isPublicClient: boolean; secrets?: Array<{ hint: string | null; endDateTime: string | null }> } | undefined>;
  /** The tenant's verified domain names, lower case (Graph organization.verifiedDomains). */
  verifiedDomains(token: string): Promise<string[]>;
}

/** Microsoft's answer to a field, as a field error the form shows next to that field. */
export function asFieldError(error: unknown, fieldsByCode: Record<number, string>, fallbackField: string): never {
  if (error instanceof MicrosoftIdentityError) {
    const field = (error.aadsts !== undefined ? fieldsByCode[error.aadsts] : undefined) ?? fallbackField;
    throw new ValidationError(error.message, [{ path: field, message: error.message }]);
  }
  throw error;
}

/**
 * Microsoft's refusal of the Entra app's client credentials, at the field that holds the wrong
 * value. A public client (AADSTS700025) is a native app: the Partner Center native app's ID in
 * the client ID field. A refused secret (AADSTS7000215) is either a wrong secret or another app's
 * ID (often the Partner Center web app's): Microsoft cannot tell which, so both fields say what
 * to compare.
 */
export function entraAppRefusal(error: unknown): never {
  if (error instanceof MicrosoftIdentityError && error.aadsts === 700025) {
    throw new ValidationError('The Web App Client ID belongs to a native app.', [
      {
        path: 'clientId',
        message:
          'This ID belongs to a native (public client) app, such as the Partner Center native app: that ID goes in the Native App ID field of the next step. ' +
          'Here enter the Application (client) ID of the app you registered for TotalOne: Entra admin center > App registrations > All applications > your app (e.g. "Total One App") > Overview.',
      },
    ]);
  }
  if (error instanceof MicrosoftIdentityError && error.aadsts === 7000215) {
    throw new ValidationError('Microsoft did not accept this client ID and secret together.', [
      {
        path: 'clientId',
        message:
          'Check that this is the Application (client) ID of the app you registered for TotalOne (Entra admin center > App registrations > All applications > your app > Overview). ' +
          'The Partner Center web app\u2019s ID (Partner Center > Account settings > App management > Web app) goes in the next step, not here.',
      },
      { path: 'clientSecret', message: error.message },
    ]);
  }
  return asFieldError(error, { 700016: 'clientId', 7000222: 'clientSecret', 90002: 'tenant' }, 'clientSecret');
}

/** Microsoft's refusal of the Partner Center web app's ID and secret, at the field concerned. */
export function partnerCenterAppRefusal(error: unknown): never {
  return asFieldError(error, { 700016: 'webAppId', 7000215: 'webAppSecret', 7000222: 'webAppSecret' }, 'webAppSecret');
}

/** The Graph application permissions the Entra app's token lacks, as a field error (or undefined). */
export function missingGraphRoles(roles: ReadonlySet<string>, path: string): ValidationError | undefined {
  const missing = REQUIRED_GRAPH_ROLES.filter((role) => !roles.has(role));
  if (missing.length === 0) return undefined;
  const none = missing.length === REQUIRED_GRAPH_ROLES.length;
  return new ValidationError(`The Entra app is missing Microsoft Graph application permissions: ${missing.join(', ')}.`, [
    {
      path,
      message:
        `This app lacks the application permission${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (or admin consent for ${missing.length > 1 ? 'them' : 'it'}). ` +
        'In the Entra admin center open App registrations > this app > API permissions, add them under Microsoft Graph > Application permissions and press "Grant admin consent".' +
        (none ? ' If you entered the Partner Center web app here by mistake, use the app you registered for TotalOne instead.' : ''),
    },
  ]);
}

/**
 * The day (YYYY-MM-DD, UTC) the typed secret ends, from the app's secrets as Graph lists them:
 * exactly one secret with the same first three characters and an end. Otherwise undefined.
 */
export function secretEndFromMicrosoft(secrets: ReadonlyArray<{ hint: string | null; endDateTime: string | null }>, secret: string): string | undefined {
  const hint = secret.slice(0, 3);
  const matches = secrets.filter((s) => s.hint === hint && s.endDateTime);
  if (matches.length !== 1) return undefined;
  const end = new Date(matches[0]!.endDateTime!);
  return Number.isNaN(end.getTime()) ? undefined : end.toISOString().slice(0, 10);
}

/**
 * When the Partner Center web app's secret ends, as Microsoft knows it (the web app's secret whose
 * first three characters are the ones typed; Graph shows no more of a secret). The partner types a
 * date only when Graph cannot tell; a typed date that disagrees with Microsoft's, a missing date
 * and an expired secret are refused at their field.
 */
export function partnerCenterSecretEnd(secrets: ReadonlyArray<{ hint: string | null; endDateTime: string | null }>, input: { webAppSecret: string; secretExpiresOn?: string | undefined }, now: Date) {
  const microsoftEnd = secretEndFromMicrosoft(secrets, input.webAppSecret);
  if (microsoftEnd && input.secretExpiresOn && input.secretExpiresOn !== microsoftEnd) {
    throw new ValidationError('The expiry date differs from Microsoft\u2019s.', [
      { path: 'secretExpiresOn', message: `Microsoft says this secret expires on ${microsoftEnd}, not ${input.secretExpiresOn}. Leave the field empty to use Microsoft\u2019s date, or check that you entered the key you meant.` },
    ]);
  }
  const secretExpiresOn = microsoftEnd ?? input.secretExpiresOn;
  if (!secretExpiresOn) {
    throw new ValidationError('Microsoft does not show when this secret expires.', [
      { path: 'secretExpiresOn', message: 'Microsoft does not tell us when this secret expires (no key of the web app matches it, or several do). Enter the expiry date Partner Center shows next to the key (Account settings > App management > Web app > Keys).' },
    ]);
  }
  const expiresOn = new Date(`${secretExpiresOn}T23:59:59Z`);
  if (expiresOn.getTime() < now.getTime()) {
    throw new ValidationError('The Web App Secret has expired.', [
      { path: microsoftEnd ? 'webAppSecret' : 'secretExpiresOn', message: `This secret expired on ${secretExpiresOn}. Create a new key in Partner Center > Account settings > App management > Web app > Add key, and enter it here.` },
    ]);
  }
  return { secretExpiresOn, expiresOn, source: microsoftEnd ? ('microsoft' as const) : ('partner' as const) };
}

/** New secrets of a connected partner that Microsoft accepted (values only in memory). */
export interface ProvenSecrets {
  tenantId: string;
  entraAppId: string;
  webAppId: string;
  entra?: { secret: string; hint: string };
  partnerCenter?: { secret: string; hint: string; secretExpiresOn: string; expiresOn: Date; expirySource: 'microsoft' | 'partner' };
}

/**
 * New secrets for the apps of a partner whose connection is committed: checked live exactly as
 * the wizard checks them, and recorded on the connection (hints, the key's expiry) once stored.
 */
export function createSecretChecks(deps: {
  db: Db;
  repo: ConnectRepo;
  credentials: Pick<MicrosoftCredentials, 'checkEntraApp' | 'checkPartnerCenterApp' | 'graphAppToken'>;
  directory: AppDirectory;
  rateLimits: Pick<RateLimitService, 'hit'>;
  clock: Clock;
  appCheckLimit?: Limit;
}) {
  const { db, repo, credentials, clock } = deps;

  async function committedApps(partnerId: string) {
    const c = await repo.connection(db, partnerId);
    if (!c?.committed_at || !c.tenant_id || !c.entra_app_id || !c.partner_center_web_app_id) return undefined;
    return {
      tenantId: c.tenant_id,
      entraAppId: c.entra_app_id,
      entraSecretHint: c.entra_secret_hint,
      webAppId: c.partner_center_web_app_id,
      partnerCenterSecretHint: c.partner_center_secret_hint,
      partnerCenterSecretExpiresOn: c.partner_center_secret_expires_on,
    };
  }

  /** Runs one field's check; a field error joins the others, anything else stops everything. */
  async function collect<T>(problems: FieldProblem[], check: () => Promise<T>): Promise<T | undefined> {
    try {
      return await check();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problems.push(...(error.details.fields ?? []));
      return undefined;
    }
  }

  return {
    committedApps,

    async checkNewSecrets(partnerId: string, input: CredentialUpdateInput): Promise<ProvenSecrets> {
      const apps = await committedApps(partnerId);
      if (!apps) throw new ConflictError('NOT_CONNECTED', 'This partner has no completed Microsoft connection, so there is no secret to replace. Finish the connection with your signup link first.');
      await deps.rateLimits.hit([{ limit: deps.appCheckLimit ?? appCheckLimit, subject: partnerId }], 'Too many secret checks in the last hour. Take a moment to compare the values with the portal; checking works again shortly.');
      const problems: FieldProblem[] = [];
      const { tenantId, entraAppId, webAppId } = apps;
      // Only the secret can be wrong here (the apps are the connected ones): Microsoft's words land at it.
      const atField = (field: string) => (error: unknown): never => asFieldError(error, {}, field);
      let graphToken: string | undefined;
      const entra = input.clientSecret === undefined ? undefined : await collect(problems, async () => {
        const token = await credentials.checkEntraApp({ tenant: tenantId, clientId: entraAppId, clientSecret: input.clientSecret! }).catch(atField('clientSecret'));
        const missing = missingGraphRoles(new Set((token.accessClaims.roles as string[] | undefined) ?? []), 'clientSecret');
        if (missing) throw missing;
        graphToken = token.accessToken;
        return { secret: input.clientSecret!, hint: input.clientSecret!.slice(0, 3) };
      });
      const partnerCenter = input.webAppSecret === undefined ? undefined : await collect(problems, async () => {
        // The web app's keys as Graph lists them: with the new Entra secret, else the stored one
        // (which may be the one that expired: then the partner types the date).
        const token = graphToken ?? (await credentials.graphAppToken(partnerId, { tenantId, entraAppId }).then((t) => t.accessToken).catch(() => undefined));
        const webApp = token ? await deps.directory.application(token, webAppId).catch(() => undefined) : undefined;
        const end = partnerCenterSecretEnd(webApp?.secrets ?? [], { webAppSecret: input.webAppSecret!, secretExpiresOn: input.secretExpiresOn }, clock.now());
        await credentials.checkPartnerCenterApp({ tenant: tenantId, clientId: webAppId, clientSecret: input.webAppSecret! }).catch(partnerCenterAppRefusal);
        return { secret: input.webAppSecret!, hint: input.webAppSecret!.slice(0, 3), secretExpiresOn: end.secretExpiresOn, expiresOn: end.expiresOn, expirySource: end.source };
      });
      if (problems.length > 0) throw new ValidationError(problems.length === 1 ? problems[0]!.message : 'Microsoft did not accept the new secrets.', problems);
      return { tenantId, entraAppId, webAppId, ...(entra ? { entra } : {}), ...(partnerCenter ? { partnerCenter } : {}) };
    },

    /** In the transaction that stores the new secrets: the connection shows their hints and the key's expiry. */
    async recordNewSecrets(tx: DbOrTx, partnerId: string, proven: ProvenSecrets): Promise<void> {
      await repo.saveConnection(tx, partnerId, {
        ...(proven.entra ? { entra_secret_hint: proven.entra.hint } : {}),
        ...(proven.partnerCenter ? { partner_center_secret_hint: proven.partnerCenter.hint, partner_center_secret_expires_on: proven.partnerCenter.secretExpiresOn } : {}),
        updated_at: clock.now(),
      });
    },
  };
}

export type SecretChecks = ReturnType<typeof createSecretChecks>;
