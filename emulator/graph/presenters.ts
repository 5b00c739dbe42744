// Graph resource shapes built from scenario objects. Secrets never leave: passwordCredentials
// show `hint` (first three characters) and `secretText: null`, as Graph does.
import type {
  ScenarioApplication, ScenarioAppRoleAssignment, ScenarioDirectoryRole, ScenarioGroup, ScenarioPermissionGrant,
  ScenarioServicePrincipal, ScenarioTenant, ScenarioUser,
} from '../scenarios/types.ts';

type GraphObject = Record<string, unknown>;

export function toUser(u: ScenarioUser, withType = false): GraphObject {
  return {
    ...(withType ? { '@odata.type': '#microsoft.graph.user' } : {}),
    businessPhones: [],
    displayName: u.displayName,
    givenName: u.givenName,
    jobTitle: null,
    mail: u.userPrincipalName,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
    surname: u.surname,
    userPrincipalName: u.userPrincipalName,
    id: u.id,
    accountEnabled: u.accountEnabled,
    '@emulator.nonDefault': ['accountEnabled'],
  };
}

export function toGroup(g: ScenarioGroup, withType = false): GraphObject {
  return {
    ...(withType ? { '@odata.type': '#microsoft.graph.group' } : {}),
    id: g.id,
    deletedDateTime: null,
    classification: null,
    createdDateTime: '2020-01-01T00:00:00Z',
    description: g.description,
    displayName: g.displayName,
    groupTypes: [],
    isAssignableToRole: null,
    mail: null,
    mailEnabled: false,
    mailNickname: g.displayName,
    securityEnabled: true,
    securityIdentifier: `S-1-12-1-${g.id.replace(/-/g, '').slice(0, 10)}`,
    visibility: null,
  };
}

export function toDirectoryRole(r: ScenarioDirectoryRole): GraphObject {
  return {
    '@odata.type': '#microsoft.graph.directoryRole',
    id: r.id,
    deletedDateTime: null,
    description: r.description,
    displayName: r.displayName,
    roleTemplateId: r.roleTemplateId,
  };
}

export function toApplication(a: ScenarioApplication): GraphObject {
  return {
    id: a.id,
    deletedDateTime: null,
    appId: a.appId,
    createdDateTime: a.createdDateTime,
    displayName: a.displayName,
    identifierUris: [],
    isFallbackPublicClient: a.isPublicClient,
    publisherDomain: null,
    signInAudience: a.signInAudience,
    passwordCredentials: a.passwordCredentials.map((c) => ({
      customKeyIdentifier: null,
      displayName: c.displayName,
      endDateTime: c.endDateTime,
      hint: c.secretText.slice(0, 3),
      keyId: c.keyId,
      secretText: null,
      startDateTime: c.startDateTime,
    })),
    keyCredentials: [],
    notes: a.notes ?? null,
    publicClient: { redirectUris: a.publicClientRedirectUris },
    requiredResourceAccess: a.requiredResourceAccess,
    web: { homePageUrl: null, logoutUrl: null, redirectUris: a.webRedirectUris, implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false } },
    spa: { redirectUris: [] },
  };
}

export function toServicePrincipal(s: ScenarioServicePrincipal, withType = false): GraphObject {
  return {
    ...(withType ? { '@odata.type': '#microsoft.graph.servicePrincipal' } : {}),
    id: s.id,
    deletedDateTime: null,
    accountEnabled: true,
    appDisplayName: s.displayName,
    appId: s.appId,
    appOwnerOrganizationId: s.appOwnerOrganizationId,
    displayName: s.displayName,
    servicePrincipalNames: [s.appId, ...(s.resourceUri ? [s.resourceUri] : [])],
    servicePrincipalType: 'Application',
    signInAudience: 'AzureADMultipleOrgs',
    tags: [],
    appRoles: s.appRoles.map((r) => ({ allowedMemberTypes: ['Application'], description: r.description, displayName: r.displayName, id: r.id, isEnabled: true, origin: 'Application', value: r.value })),
    oauth2PermissionScopes: s.oauth2PermissionScopes.map((p) => ({
      adminConsentDescription: p.adminConsentDescription, adminConsentDisplayName: p.adminConsentDisplayName, id: p.id, isEnabled: true,
      type: p.type, userConsentDescription: p.adminConsentDescription, userConsentDisplayName: p.adminConsentDisplayName, value: p.value,
    })),
  };
}

export function toAppRoleAssignment(t: ScenarioTenant, a: ScenarioAppRoleAssignment): GraphObject {
  const principal = t.servicePrincipals.find((s) => s.id === a.principalId);
  const resource = t.servicePrincipals.find((s) => s.id === a.resourceId);
  return {
    id: a.id,
    deletedDateTime: null,
    appRoleId: a.appRoleId,
    createdDateTime: a.createdDateTime,
    principalDisplayName: principal?.displayName ?? null,
    principalId: a.principalId,
    principalType: 'ServicePrincipal',
    resourceDisplayName: resource?.displayName ?? null,
    resourceId: a.resourceId,
  };
}

export function toPermissionGrant(g: ScenarioPermissionGrant): GraphObject {
  return { clientId: g.clientId, consentType: g.consentType, id: g.id, principalId: g.principalId, resourceId: g.resourceId, scope: g.scope };
}

export function toOrganization(t: ScenarioTenant): GraphObject {
  return {
    id: t.id,
    deletedDateTime: null,
    businessPhones: [],
    city: null,
    country: null,
    countryLetterCode: t.countryLetterCode,
    createdDateTime: '2020-01-01T00:00:00Z',
    displayName: t.displayName,
    tenantType: 'AAD',
    verifiedDomains: t.domains.map((name, i) => ({
      capabilities: i === 0 ? 'Email, OfficeCommunicationsOnline' : 'Email',
      isDefault: i === 0,
      isInitial: i === 0,
      name,
      type: 'Managed',
    })),
  };
}

/** A directory object by id (user, group, service principal or directory role), typed for collections. */
export function toDirectoryObject(t: ScenarioTenant, id: string): GraphObject | undefined {
  const user = t.users.find((u) => u.id === id);
  if (user) return toUser(user, true);
  const group = t.groups.find((g) => g.id === id);
  if (group) return toGroup(group, true);
  const sp = t.servicePrincipals.find((s) => s.id === id);
  if (sp) return toServicePrincipal(sp, true);
  const role = t.directoryRoles.find((r) => r.id === id);
  if (role) return toDirectoryRole(role);
  return undefined;
}
