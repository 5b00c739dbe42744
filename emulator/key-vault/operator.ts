// TotalOne's own Entra tenant, owner of the Key Vault that wraps partner keys. Added to a
// scenario when the emulator runs with its Key Vault; partners never see it.
import { clientSecretValue, stableBytes, stableGuid } from '../ids.ts';
import { FIRST_PARTY_RESOURCES, MICROSOFT_SERVICES_TENANT_ID } from '../microsoft-catalog.ts';
import type { Scenario, ScenarioKeyVault, ScenarioTenant } from '../scenarios/types.ts';

const SEED = 'totalone-operator';
export const DEFAULT_VAULT_KEY = 'totalone-kek';

export function buildOperatorTenant(now: Date): ScenarioTenant {
  const id = (label: string) => stableGuid(SEED, label);
  const tenantId = id('tenant');
  const vaultApp = {
    id: id('app:vault'),
    appId: id('appid:vault'),
    displayName: 'TotalOne Signup (vault access)',
    signInAudience: 'AzureADMyOrg' as const,
    isPublicClient: false,
    webRedirectUris: [],
    publicClientRedirectUris: [],
    requiredResourceAccess: [],
    passwordCredentials: [{
      keyId: id('secret:vault'),
      displayName: 'signup server',
      secretText: clientSecretValue(stableBytes(40, SEED, 'secret:vault')),
      startDateTime: new Date(now.getTime() - 86_400_000).toISOString(),
      endDateTime: new Date(now.getTime() + 365 * 86_400_000).toISOString(),
    }],
    createdDateTime: new Date(now.getTime() - 86_400_000).toISOString(),
  };
  return {
    kind: 'operator',
    id: tenantId,
    displayName: 'TotalOne Signup (operator)',
    domains: ['totalonesignup.onmicrosoft.com'],
    countryLetterCode: 'DE',
    securityDefaultsEnabled: true,
    conditionalAccess: { requireMfa: false, blockUserSignIn: false },
    users: [],
    groups: [],
    directoryRoles: [],
    applications: [vaultApp],
    servicePrincipals: [
      ...FIRST_PARTY_RESOURCES.map((r) => ({
        id: id(`sp:${r.appId}`), appId: r.appId, displayName: r.displayName, resourceUri: r.resourceUri,
        appRoles: r.appRoles, oauth2PermissionScopes: r.scopes, appOwnerOrganizationId: MICROSOFT_SERVICES_TENANT_ID,
      })),
      { id: id('sp:vault'), appId: vaultApp.appId, displayName: vaultApp.displayName, appRoles: [], oauth2PermissionScopes: [], appOwnerOrganizationId: tenantId },
    ],
    appRoleAssignments: [],
    oauth2PermissionGrants: [],
    partnerCenter: {
      mpnId: '', companyName: 'TotalOne Signup', webAppId: '', nativeAppId: '',
      throttle: { budget: 500, windowSeconds: 60 },
      faults: { unavailableRequests: 0, latencyMs: 0, failPagesOnce: [] },
      customers: { kind: 'generated', count: 0, seed: SEED },
      defaultPageSize: 100, maxPageSize: 500,
    },
    roles: { serviceAccountUpn: '', totalOneAppId: vaultApp.appId, adminAgentsGroupId: '' },
  };
}

/** The scenario plus TotalOne's tenant and vault, unless it already describes a vault. */
export function withKeyVault(scenario: Scenario, now: Date): Scenario {
  if (scenario.keyVault) return scenario;
  const operator = buildOperatorTenant(now);
  const vault: ScenarioKeyVault = {
    name: 'totalone-signup',
    tenantId: operator.id,
    keyNames: [DEFAULT_VAULT_KEY],
    accessPolicies: [{ appId: operator.applications[0]!.appId, keyPermissions: ['get', 'list', 'create', 'rotate', 'wrapKey', 'unwrapKey', 'encrypt', 'decrypt'] }],
  };
  return { ...scenario, tenants: [...scenario.tenants, operator], keyVault: vault };
}
