// The shape of an emulated world. A scenario is plain data (JSON-compatible) so it can be
// written as a file, sent to the admin API, cloned for every reset and patched by tests.
// Everything the emulator answers is derived from it; nothing else holds directory facts.

export type MfaMethod =
  | { method: 'totp'; secret: string } // base32 secret, as an authenticator app would hold it
  | { method: 'approve' } // push-style approval: the MFA page shows Approve / Deny buttons
  | null; // no method registered

export interface ScenarioUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string;
  surname: string;
  password: string;
  /** ISO date; refresh tokens issued before it are revoked (AADSTS50173). */
  passwordChangedAt: string;
  accountEnabled: boolean;
  mfa: MfaMethod;
  /** Partner Center roles as shown in its Users page (informational, see README). */
  partnerCenterRoles: string[];
}

export interface ScenarioGroup {
  id: string;
  displayName: string;
  description: string;
  /** Object ids of users or service principals. */
  members: string[];
}

export interface ScenarioDirectoryRole {
  id: string;
  roleTemplateId: string;
  displayName: string;
  description: string;
  members: string[];
}

export interface PasswordCredential {
  keyId: string;
  displayName: string;
  /** The secret value. Kept here because the emulator must verify it; Graph only shows the hint. */
  secretText: string;
  startDateTime: string;
  endDateTime: string;
  /**
   * Emulator only: the secret works for this many more token requests, then expires (its
   * endDateTime becomes that moment, so Graph shows it expired and Entra answers AADSTS7000222).
   */
  remainingTokenRequests?: number;
}

export interface ResourceAccess {
  id: string;
  type: 'Role' | 'Scope';
}

export interface RequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: ResourceAccess[];
}

export interface ScenarioApplication {
  id: string; // object id
  appId: string; // client id
  displayName: string;
  signInAudience: 'AzureADMyOrg' | 'AzureADMultipleOrgs';
  /** Public clients (e.g. the Partner Center native app) authenticate without a secret. */
  isPublicClient: boolean;
  webRedirectUris: string[];
  publicClientRedirectUris: string[];
  requiredResourceAccess: RequiredResourceAccess[];
  passwordCredentials: PasswordCredential[];
  createdDateTime: string;
  /** Object ids of the users who own the registration (Graph application owners); absent: none. */
  owners?: string[];
  /** Graph application `notes` (free text an admin or a tool leaves on the registration). */
  notes?: string | null;
}

export interface AppRoleDefinition {
  id: string;
  value: string;
  displayName: string;
  description: string;
}

export interface PermissionScopeDefinition {
  id: string;
  value: string;
  adminConsentDisplayName: string;
  adminConsentDescription: string;
  type: 'User' | 'Admin';
}

export interface ScenarioServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  /** Resource APIs (Graph, Partner Center) carry their audience and permission catalogue. */
  resourceUri?: string;
  appRoles: AppRoleDefinition[];
  oauth2PermissionScopes: PermissionScopeDefinition[];
  appOwnerOrganizationId: string;
}

export interface ScenarioAppRoleAssignment {
  id: string;
  appRoleId: string;
  principalId: string; // the client service principal
  resourceId: string; // the resource service principal (e.g. Microsoft Graph)
  createdDateTime: string;
}

export interface ScenarioPermissionGrant {
  id: string;
  clientId: string; // client service principal object id
  consentType: 'AllPrincipals' | 'Principal';
  principalId: string | null;
  resourceId: string; // resource service principal object id
  scope: string; // space separated
}

export interface PartnerCenterFaults {
  /** The first N Partner Center requests answer 503 (transient outage). */
  unavailableRequests: number;
  /** Added latency for every Partner Center request, in milliseconds. */
  latencyMs: number;
  /** Zero-based customer page numbers that fail once with 500, then succeed. */
  failPagesOnce: number[];
}

export type CustomerSource =
  | { kind: 'generated'; count: number; seed: string }
  | { kind: 'list'; customers: CustomerSpec[] };

export interface CustomerSpec {
  id: string; // Partner Center customer id = the customer's tenant id
  companyName: string;
  domain: string;
  relationshipToPartner: 'reseller' | 'advisor' | 'none';
  /** Partner Center's allowDelegatedAccess (delegated admin privileges granted); default true. */
  allowDelegatedAccess?: boolean;
}

export interface PartnerCenterSetup {
  mpnId: string;
  companyName: string;
  /** appId of the Entra app registered as Partner Center "Web App" (App ID + secret in step 2.10/2.11). */
  webAppId: string;
  /** appId of the Partner Center "Native App". */
  nativeAppId: string;
  throttle: { budget: number; windowSeconds: number };
  faults: PartnerCenterFaults;
  customers: CustomerSource;
  defaultPageSize: number;
  maxPageSize: number;
}

/**
 * The partner's GDAP relationships (Graph tenantRelationships/delegatedAdminRelationships), one per
 * customer, derived from the customer list on demand: customer i falls into a bucket of
 * (i * 37 + 11) mod 100, so every hundred customers holds exactly the stated shares.
 */
export interface ScenarioGdap {
  /** Security group of the partner tenant named by the access assignments (it holds the service account). */
  accessGroupId: string;
  /** Dates of the relationships are relative to this instant (ISO), so they stay fixed within a scenario. */
  anchor: string;
  /** Per cent of customers without an active relationship: none, expired or terminated. */
  withoutActivePercent: number;
  /** Per cent of customers whose active relationship (with Global Administrator) ends within 30 days. */
  expiringPercent: number;
  /** Per cent of customers whose relationship auto-extends by P180D; Partner Center excludes Global Administrator from those. */
  autoExtendPercent: number;
  /** Per cent of customers with an active relationship but no access assignment for any security group. */
  unassignedPercent: number;
  /** The relationships are Microsoft-led transition ones (MLT_, eight default roles, assigned to AdminAgents). */
  microsoftLed: boolean;
}

export interface ScenarioAppManagementPolicy {
  /** restrictionType passwordAddition: no new client secrets on applications. */
  blockPasswordAddition: boolean;
  /** restrictionType passwordLifetime: new client secrets live at most this long (ISO 8601 duration, e.g. P90D). */
  passwordMaxLifetime: string | null;
}

export interface ScenarioTenant {
  /** 'operator': TotalOne's own tenant (owner of the Key Vault), not a partner. Default 'partner'. */
  kind?: 'partner' | 'operator';
  id: string;
  displayName: string;
  /** domains[0] is the initial *.onmicrosoft.com domain. */
  domains: string[];
  countryLetterCode: string;
  securityDefaultsEnabled: boolean;
  conditionalAccess: {
    /** A policy demands MFA for every sign-in of this tenant's users. */
    requireMfa: boolean;
    /** A policy blocks interactive and refresh sign-ins of users (AADSTS53003). */
    blockUserSignIn: boolean;
  };
  users: ScenarioUser[];
  groups: ScenarioGroup[];
  directoryRoles: ScenarioDirectoryRole[];
  applications: ScenarioApplication[];
  servicePrincipals: ScenarioServicePrincipal[];
  appRoleAssignments: ScenarioAppRoleAssignment[];
  oauth2PermissionGrants: ScenarioPermissionGrant[];
  partnerCenter: PartnerCenterSetup;
  /** GDAP relationships with the customers; absent: the partner has none. */
  gdap?: ScenarioGdap;
  /**
   * The tenant default app management policy (Graph policies/defaultAppManagementPolicy), as far
   * as client secrets go; absent: the policy is disabled (Microsoft's default).
   */
  appManagementPolicy?: ScenarioAppManagementPolicy;
  /** Handy pointers for tests and the CLI: which objects play which role in the guide. */
  roles: {
    serviceAccountUpn: string;
    totalOneAppId: string;
    adminAgentsGroupId: string;
  };
}

export type KeyVaultKeyPermission = 'get' | 'list' | 'create' | 'rotate' | 'wrapKey' | 'unwrapKey' | 'encrypt' | 'decrypt';

/** An Azure Key Vault (keys only) owned by one tenant of the scenario, with access policies. */
export interface ScenarioKeyVault {
  name: string;
  tenantId: string;
  keyNames: string[];
  accessPolicies: Array<{ appId: string; keyPermissions: KeyVaultKeyPermission[] }>;
}

export interface Scenario {
  name: string;
  description: string;
  /** Scenarios usually hold one partner tenant; tests may combine several. */
  tenants: ScenarioTenant[];
  keyVault?: ScenarioKeyVault;
  /**
   * Multi-tenant (AzureADMultipleOrgs) registrations of publishers outside the scenario's tenants,
   * e.g. TotalOne's own setup application: any tenant's users can sign in to them, and consent
   * creates their service principal in that tenant.
   */
  publisherApps?: ScenarioApplication[];
}
