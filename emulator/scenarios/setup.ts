// TotalOne's multi-tenant setup application and the scenarios of "Set up Microsoft for me": a
// partner tenant where only the service account (and Partner Center's two apps) exist, and the
// tenant settings that refuse parts of the setup.
import { PUBLISHER_TENANT_ID } from '../identity/consent.ts';
import { clientSecretValue, stableBytes, stableGuid } from '../ids.ts';
import { GRAPH_APP_ID, graphScopeId } from '../microsoft-catalog.ts';
import type { Scenario, ScenarioApplication, ScenarioTenant } from './types.ts';

const SEED = 'totalone-setup';
const DAY = 86_400_000;

/** Path of the product's setup sign-in callback: the setup application lists it for http loopback hosts (any port). */
export const SETUP_CALLBACK_PATH = '/api/connect/setup/callback';

/** The delegated Microsoft Graph permissions the setup application asks an administrator for. */
export const SETUP_APP_SCOPES = [
  'User.Read',
  'Application.ReadWrite.All',
  'AppRoleAssignment.ReadWrite.All',
  'DelegatedPermissionGrant.ReadWrite.All',
  'GroupMember.ReadWrite.All',
  'Directory.Read.All',
  'Policy.Read.All',
  'UserAuthenticationMethod.Read.All',
] as const;

export interface SetupAppFacts {
  appId: string;
  secret: string;
  tenantId: string;
  redirectUris: string[];
  scopes: string[];
}

/**
 * TotalOne's own registration (in TotalOne's tenant, AzureADMultipleOrgs). Its reply addresses:
 * the setup callback on http loopback hosts (Entra ignores the port of those), and on the origin
 * of `replyAddress` when one is given.
 */
export function buildSetupApp(now: Date, replyAddress?: string): ScenarioApplication {
  const id = (label: string) => stableGuid(SEED, label);
  const uris = [`http://localhost${SETUP_CALLBACK_PATH}`, `http://127.0.0.1${SETUP_CALLBACK_PATH}`];
  if (replyAddress) {
    const own = new URL(SETUP_CALLBACK_PATH, replyAddress).toString();
    if (!uris.includes(own)) uris.push(own);
  }
  return {
    id: id('app'),
    appId: id('appid'),
    displayName: 'TotalOne Signup setup',
    signInAudience: 'AzureADMultipleOrgs',
    isPublicClient: false,
    webRedirectUris: uris,
    publicClientRedirectUris: [],
    requiredResourceAccess: [{ resourceAppId: GRAPH_APP_ID, resourceAccess: SETUP_APP_SCOPES.map((s) => ({ id: graphScopeId(s), type: 'Scope' as const })) }],
    passwordCredentials: [{
      keyId: id('secret'), displayName: 'signup server', secretText: clientSecretValue(stableBytes(40, SEED, 'secret')),
      startDateTime: new Date(now.getTime() - DAY).toISOString(), endDateTime: new Date(now.getTime() + 365 * DAY).toISOString(),
    }],
    createdDateTime: new Date(now.getTime() - DAY).toISOString(),
  };
}

export function setupAppFacts(scenario: Scenario): SetupAppFacts | undefined {
  const app = scenario.publisherApps?.find((a) => a.displayName === 'TotalOne Signup setup');
  if (!app) return undefined;
  return { appId: app.appId, secret: app.passwordCredentials.at(-1)!.secretText, tenantId: PUBLISHER_TENANT_ID, redirectUris: [...app.webRedirectUris], scopes: [...SETUP_APP_SCOPES] };
}

/** Removes the Total One app and everything granted to it: the partner registered nothing yet. */
export function removeTotalOneApp(t: ScenarioTenant): void {
  const appId = t.roles.totalOneAppId;
  const sp = t.servicePrincipals.find((s) => s.appId === appId);
  t.applications = t.applications.filter((a) => a.appId !== appId);
  if (sp) {
    t.servicePrincipals = t.servicePrincipals.filter((s) => s.id !== sp.id);
    t.appRoleAssignments = t.appRoleAssignments.filter((a) => a.principalId !== sp.id);
    t.oauth2PermissionGrants = t.oauth2PermissionGrants.filter((g) => g.clientId !== sp.id);
    for (const group of t.groups) group.members = group.members.filter((m) => m !== sp.id);
  }
  t.roles.totalOneAppId = '';
}

export const setupScenarios = [
  {
    name: 'setup-service-account-only',
    description: 'Nothing registered for TotalOne yet: the service account (Global Administrator, AdminAgents, TOTP MFA) and Partner Center\u2019s web and native apps exist, no "Total One App", no grants. "Set up Microsoft for me" starts here.',
    change: (t: ScenarioTenant) => removeTotalOneApp(t),
  },
  {
    name: 'setup-secrets-blocked',
    description: 'As setup-service-account-only, and the tenant\u2019s default app management policy blocks new client secrets (restrictionType passwordAddition): addPassword is refused.',
    change: (t: ScenarioTenant) => {
      removeTotalOneApp(t);
      t.appManagementPolicy = { blockPasswordAddition: true, passwordMaxLifetime: null };
    },
  },
  {
    name: 'setup-secret-lifetime-capped',
    description: 'As setup-service-account-only, and the default app management policy caps client secrets at 90 days (restrictionType passwordLifetime, maxLifetime P90D).',
    change: (t: ScenarioTenant) => {
      removeTotalOneApp(t);
      t.appManagementPolicy = { blockPasswordAddition: false, passwordMaxLifetime: 'P90D' };
    },
  },
  {
    name: 'setup-name-taken',
    description: 'As setup-service-account-only, but an app registration named "Total One App" already exists, owned by jane.doe (not TotalOne\u2019s, without its permissions).',
    change: (t: ScenarioTenant, now: Date) => {
      removeTotalOneApp(t);
      const jane = t.users.find((u) => u.userPrincipalName.startsWith('jane.doe@'))!;
      const id = (label: string) => stableGuid(t.id, label);
      t.applications.push({
        id: id('app:taken'), appId: id('appid:taken'), displayName: 'Total One App', signInAudience: 'AzureADMyOrg', isPublicClient: false,
        webRedirectUris: ['https://intranet.example/total-one'], publicClientRedirectUris: [], requiredResourceAccess: [], passwordCredentials: [],
        createdDateTime: new Date(now.getTime() - 30 * DAY).toISOString(), owners: [jane.id], notes: null,
      });
      t.servicePrincipals.push({ id: id('sp:taken'), appId: id('appid:taken'), displayName: 'Total One App', appRoles: [], oauth2PermissionScopes: [], appOwnerOrganizationId: t.id });
    },
  },
];
