// The `ready` partner tenant: everything set up exactly as steps 2 and 3 of the partner guide
// prescribe. Every other built-in scenario starts from this one and changes a few facts.
import { Secret } from 'otpauth';
import { clientSecretValue, stableBytes, stableGuid } from '../ids.ts';
import {
  FIRST_PARTY_RESOURCES, GLOBAL_ADMIN_ROLE_TEMPLATE_ID, GRAPH_APP_ID, MICROSOFT_SERVICES_TENANT_ID,
  PARTNER_CENTER_APP_ID, graphRoleId, graphScopeId,
} from '../microsoft-catalog.ts';
import type { ScenarioTenant, ScenarioUser } from './types.ts';

export interface TenantOptions {
  /** Different seeds give unrelated ids, secrets and customers (for multi-partner tests). */
  seed?: string;
  /** e.g. "contoso" -> contoso.onmicrosoft.com */
  domainPrefix?: string;
  companyName?: string;
  customerCount?: number;
  /**
   * The reply address of the product's sign-in, registered as a Web redirect URI on the Partner
   * Center web app, as a partner following TotalOne's guidance does. Without it the web app has
   * no redirect URI (Entra then refuses the sign-in with AADSTS50011).
   */
  replyAddress?: string;
  now: Date;
}

/** The four application permissions and one delegated permission of guide steps 2.26-2.27. */
export const TOTAL_ONE_APP_ROLES = ['Directory.ReadWrite.All', 'Group.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'User.ReadWrite.All'];
export const TOTAL_ONE_DELEGATED = ['User.Read'];
/** Recommended on top of the four: reading the GDAP relationships with the customers. */
export const TOTAL_ONE_RECOMMENDED_APP_ROLES = ['DelegatedAdminRelationship.Read.All'];

const DAY = 86_400_000;

export function buildReadyTenant(options: TenantOptions): ScenarioTenant {
  const seed = options.seed ?? 'contoso';
  const prefix = options.domainPrefix ?? 'contoso';
  const domain = `${prefix}.onmicrosoft.com`;
  const now = options.now;
  const id = (label: string) => stableGuid(seed, label);
  const iso = (offsetDays: number) => new Date(now.getTime() + offsetDays * DAY).toISOString();
  const tenantId = id('tenant');

  const user = (name: string, given: string, surname: string, extra: Partial<ScenarioUser>): ScenarioUser => ({
    id: id(`user:${name}`),
    userPrincipalName: `${name}@${domain}`,
    displayName: `${given} ${surname}`,
    givenName: given,
    surname,
    password: 'TotalOne#2026pw',
    passwordChangedAt: iso(-30),
    accountEnabled: true,
    mfa: null,
    partnerCenterRoles: [],
    ...extra,
  });

  const serviceAccount = user('total.one', 'Total', 'One', {
    password: `T1#${stableBytes(6, seed, 'pw').toString('base64url')}x9`,
    mfa: { method: 'totp', secret: new Secret({ buffer: new Uint8Array(stableBytes(20, seed, 'totp')).buffer }).base32 },
    partnerCenterRoles: ['Global Admin', 'Admin Agent', 'Incentive Administrator'],
  });
  const existingAdmin = user('admin', 'Ada', 'Admin', { mfa: { method: 'approve' }, partnerCenterRoles: ['Global Admin'] });
  const employee = user('jane.doe', 'Jane', 'Doe', { mfa: { method: 'approve' } });

  const secret = (label: string, displayName: string, startDays: number, endDays: number) => ({
    keyId: id(`secret:${label}`),
    displayName,
    secretText: clientSecretValue(stableBytes(40, seed, `secret:${label}`)),
    startDateTime: iso(startDays),
    endDateTime: iso(endDays),
  });

  const totalOneApp = {
    id: id('app:totalone'),
    appId: id('appid:totalone'),
    displayName: 'Total One App',
    signInAudience: 'AzureADMyOrg' as const,
    isPublicClient: false,
    // Used with client credentials only: the guide registers no redirect URI on it.
    webRedirectUris: [] as string[],
    publicClientRedirectUris: [],
    requiredResourceAccess: [{
      resourceAppId: GRAPH_APP_ID,
      resourceAccess: [
        ...[...TOTAL_ONE_APP_ROLES, ...TOTAL_ONE_RECOMMENDED_APP_ROLES].map((v) => ({ id: graphRoleId(v), type: 'Role' as const })),
        ...TOTAL_ONE_DELEGATED.map((v) => ({ id: graphScopeId(v), type: 'Scope' as const })),
      ],
    }],
    passwordCredentials: [secret('totalone', 'Total One Web App Secret', -1, 729)],
    createdDateTime: iso(-1),
  };
  const pcScopeId = FIRST_PARTY_RESOURCES[1]!.scopes[0]!.id;
  const pcWebApp = {
    id: id('app:pcweb'),
    appId: id('appid:pcweb'),
    displayName: `${options.companyName ?? 'Contoso'} Partner Center Web App`,
    signInAudience: 'AzureADMyOrg' as const,
    isPublicClient: false,
    webRedirectUris: options.replyAddress ? [options.replyAddress] : [],
    publicClientRedirectUris: [],
    requiredResourceAccess: [
      { resourceAppId: PARTNER_CENTER_APP_ID, resourceAccess: [{ id: pcScopeId, type: 'Scope' as const }] },
      { resourceAppId: GRAPH_APP_ID, resourceAccess: [{ id: graphScopeId('User.Read'), type: 'Scope' as const }] },
    ],
    passwordCredentials: [secret('pcweb', 'Total One', -1, 729)],
    createdDateTime: iso(-400),
  };
  const pcNativeApp = {
    id: id('app:pcnative'),
    appId: id('appid:pcnative'),
    displayName: `${options.companyName ?? 'Contoso'} Partner Center Native App`,
    signInAudience: 'AzureADMyOrg' as const,
    isPublicClient: true,
    webRedirectUris: [],
    publicClientRedirectUris: ['urn:ietf:wg:oauth:2.0:oob'],
    requiredResourceAccess: [{ resourceAppId: PARTNER_CENTER_APP_ID, resourceAccess: [{ id: pcScopeId, type: 'Scope' as const }] }],
    passwordCredentials: [],
    createdDateTime: iso(-400),
  };
  const applications = [totalOneApp, pcWebApp, pcNativeApp];

  // Every tenant holds service principals for Microsoft's APIs and for its own apps.
  const firstPartySps = FIRST_PARTY_RESOURCES.map((r) => ({
    id: id(`sp:${r.appId}`),
    appId: r.appId,
    displayName: r.displayName,
    resourceUri: r.resourceUri,
    appRoles: r.appRoles,
    oauth2PermissionScopes: r.scopes,
    appOwnerOrganizationId: MICROSOFT_SERVICES_TENANT_ID,
  }));
  const appSps = applications.map((a) => ({
    id: id(`sp:${a.appId}`),
    appId: a.appId,
    displayName: a.displayName,
    appRoles: [],
    oauth2PermissionScopes: [],
    appOwnerOrganizationId: tenantId,
  }));
  const graphSpId = id(`sp:${GRAPH_APP_ID}`);
  const totalOneSpId = id(`sp:${totalOneApp.appId}`);

  const adminAgents = { id: id('group:adminagents'), displayName: 'AdminAgents', description: 'Members of this group get administrative privileges in customer tenants (Partner Center).', members: [serviceAccount.id, totalOneSpId] };
  const helpdeskAgents = { id: id('group:helpdeskagents'), displayName: 'HelpdeskAgents', description: 'Members of this group get helpdesk privileges in customer tenants (Partner Center).', members: [] };
  // The security group the GDAP relationships' access assignments name: it holds the service account.
  const gdapAdmins = { id: id('group:gdapadmins'), displayName: 'TotalOne GDAP Admins', description: 'Security group assigned Global Administrator in the customers\' tenants through GDAP access assignments.', members: [serviceAccount.id] };
  const salesAgents = { id: id('group:salesagents'), displayName: 'SalesAgents', description: 'Members of this group can manage customers and orders in Partner Center.', members: [] };

  return {
    id: tenantId,
    displayName: options.companyName ?? 'Contoso Partner Ltd',
    domains: [domain, `${prefix}-partner.example`],
    countryLetterCode: 'DE',
    securityDefaultsEnabled: false,
    conditionalAccess: { requireMfa: true, blockUserSignIn: false },
    users: [serviceAccount, existingAdmin, employee],
    groups: [adminAgents, helpdeskAgents, salesAgents, gdapAdmins],
    directoryRoles: [
      { id: id('role:ga'), roleTemplateId: GLOBAL_ADMIN_ROLE_TEMPLATE_ID, displayName: 'Global Administrator', description: 'Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.', members: [serviceAccount.id, existingAdmin.id] },
      { id: id('role:gr'), roleTemplateId: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451', displayName: 'Global Reader', description: 'Can read everything that a Global Administrator can, but not update anything.', members: [] },
    ],
    applications,
    servicePrincipals: [...firstPartySps, ...appSps],
    // Admin consent given in step 2.29: the app roles and the delegated User.Read for everyone.
    appRoleAssignments: [...TOTAL_ONE_APP_ROLES, ...TOTAL_ONE_RECOMMENDED_APP_ROLES].map((v) => ({
      id: id(`ara:${v}`), appRoleId: graphRoleId(v), principalId: totalOneSpId, resourceId: graphSpId, createdDateTime: iso(-1),
    })),
    oauth2PermissionGrants: [{
      id: id('grant:totalone:graph'), clientId: totalOneSpId, consentType: 'AllPrincipals', principalId: null, resourceId: graphSpId, scope: 'User.Read',
    }],
    partnerCenter: {
      mpnId: String(4_000_000 + (stableBytes(3, seed, 'mpn').readUIntBE(0, 3) % 999_999)),
      companyName: options.companyName ?? 'Contoso Partner Ltd',
      webAppId: pcWebApp.appId,
      nativeAppId: pcNativeApp.appId,
      throttle: { budget: 500, windowSeconds: 60 },
      faults: { unavailableRequests: 0, latencyMs: 0, failPagesOnce: [] },
      customers: { kind: 'generated', count: options.customerCount ?? 250, seed },
      defaultPageSize: 100,
      maxPageSize: 500,
    },
    // Every customer has an active GDAP relationship with Global Administrator, assigned to the group.
    gdap: { accessGroupId: gdapAdmins.id, anchor: now.toISOString(), withoutActivePercent: 0, expiringPercent: 0, autoExtendPercent: 0, unassignedPercent: 0, microsoftLed: false },
    roles: { serviceAccountUpn: serviceAccount.userPrincipalName, totalOneAppId: totalOneApp.appId, adminAgentsGroupId: adminAgents.id },
  };
}
