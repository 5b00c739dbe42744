// Facts about Microsoft's own first-party apps that every tenant contains: the real appIds,
// permission ids and directory role template ids. Tokens and Graph objects quote these, so a
// client written against the emulator keeps working against Microsoft.
import type { AppRoleDefinition, PermissionScopeDefinition } from './scenarios/types.ts';

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const PARTNER_CENTER_APP_ID = 'fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd';
export const PARTNER_CENTER_RESOURCE = 'https://api.partnercenter.microsoft.com';

export const GLOBAL_ADMIN_ROLE_TEMPLATE_ID = '62e90394-69f5-4237-9190-012177145e10';
/** Every member user carries this template id in `wids` ("default user" role). */
export const DEFAULT_USER_ROLE_TEMPLATE_ID = 'b79fbf4d-3ef9-4689-8143-76b194e85509';
/** The fixed id of the security defaults policy object in every tenant. */
export const SECURITY_DEFAULTS_POLICY_ID = '00000000-0000-0000-0000-000000000005';

function role(id: string, value: string, displayName: string): AppRoleDefinition {
  return { id, value, displayName, description: `Allows the app to ${displayName.toLowerCase()} without a signed-in user.` };
}

function scope(id: string, value: string, name: string, type: 'User' | 'Admin'): PermissionScopeDefinition {
  return { id, value, adminConsentDisplayName: name, adminConsentDescription: `Allows the app to ${name.toLowerCase()} on behalf of the signed-in user.`, type };
}

/** Microsoft Graph application permissions (app roles) with their real ids. */
export const GRAPH_APP_ROLES: AppRoleDefinition[] = [
  role('19dbc75e-c2e2-444c-a770-ec69d8559fc7', 'Directory.ReadWrite.All', 'Read and write directory data'),
  role('7ab1d382-f21e-4acd-a863-ba3e13f7da61', 'Directory.Read.All', 'Read directory data'),
  role('62a82d76-70ea-41e2-9197-370581804d09', 'Group.ReadWrite.All', 'Read and write all groups'),
  role('5b567255-7703-4780-807c-7be8301ae99b', 'Group.Read.All', 'Read all groups'),
  role('98830695-27a2-44f7-8c18-0c3ebc9698f6', 'GroupMember.Read.All', 'Read all group memberships'),
  role('dbaae8cf-10b5-4b86-a4a1-f871c94c6695', 'GroupMember.ReadWrite.All', 'Read and write all group memberships'),
  role('9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8', 'RoleManagement.ReadWrite.Directory', 'Read and write all directory RBAC settings'),
  role('483bed4a-2ad3-4361-a73b-c83ccdbdc53c', 'RoleManagement.Read.Directory', 'Read all directory RBAC settings'),
  role('741f803b-c850-494e-b5df-cde7c675a1ca', 'User.ReadWrite.All', 'Read and write all users\' full profiles'),
  role('df021288-bdef-4463-88db-98f22de89214', 'User.Read.All', 'Read all users\' full profiles'),
  role('1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9', 'Application.ReadWrite.All', 'Read and write all applications'),
  role('9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30', 'Application.Read.All', 'Read all applications'),
  role('18a4783c-866b-4cc7-a460-3d5e5662c884', 'Application.ReadWrite.OwnedBy', 'Manage apps that this app creates or owns'),
  role('06b708a9-e830-4db3-a914-8e69da51d44f', 'AppRoleAssignment.ReadWrite.All', 'Manage app permission grants and app role assignments'),
  role('8e8e4742-1d95-4f68-9d56-6ee75648c72a', 'DelegatedPermissionGrant.ReadWrite.All', 'Manage all delegated permission grants'),
  role('246dd0d5-5bd0-4def-940b-0421030a5b68', 'Policy.Read.All', 'Read your organization\'s policies'),
  role('498476ce-e0fe-48b0-b801-37ba7e2685c6', 'Organization.Read.All', 'Read organization information'),
  role('f6e9e124-4586-492f-adc0-c6f96e4823fd', 'DelegatedAdminRelationship.Read.All', 'Read Delegated Admin relationships with customers'),
  role('cc13eba4-8cd8-44c6-b4d4-f93237adce58', 'DelegatedAdminRelationship.ReadWrite.All', 'Manage Delegated Admin relationships with customers'),
];

/** Microsoft Graph delegated permissions (OAuth2 scopes) with their real ids. */
export const GRAPH_SCOPES: PermissionScopeDefinition[] = [
  scope('e1fe6dd8-ba31-4d61-89e7-88639da4683d', 'User.Read', 'Sign in and read user profile', 'User'),
  scope('37f7f235-527c-4136-accd-4a02d197296e', 'openid', 'Sign users in', 'User'),
  scope('14dad69e-099b-42c9-810b-d002981feec1', 'profile', 'View users\' basic profile', 'User'),
  scope('64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0', 'email', 'View users\' email address', 'User'),
  scope('7427e0e9-2fba-42fe-b0c0-848c9e6a8182', 'offline_access', 'Maintain access to data you have given it access to', 'User'),
  scope('06da0dbc-49e2-44d2-8312-53f166ab848a', 'Directory.Read.All', 'Read directory data', 'Admin'),
  scope('c5366453-9fb0-48a5-a156-24f0c49a4b84', 'Directory.ReadWrite.All', 'Read and write directory data', 'Admin'),
  scope('0e263e50-5827-48a4-b97c-d940288653c7', 'Directory.AccessAsUser.All', 'Access directory as the signed in user', 'Admin'),
  scope('bdfbf15f-ee85-4955-8675-146e8e5296b5', 'Application.ReadWrite.All', 'Read and write all applications', 'Admin'),
  scope('4e46008b-f24c-477d-8fff-7bb4ec7aafe0', 'Group.ReadWrite.All', 'Read and write all groups', 'Admin'),
  scope('bc024368-1153-4739-b217-4326f2e966d0', 'GroupMember.Read.All', 'Read group memberships', 'Admin'),
  scope('572fea84-0151-49b2-9301-11cb16974376', 'Policy.Read.All', 'Read your organization\'s policies', 'Admin'),
  scope('84bccea3-f856-4a8a-967b-dbe0a3d53a64', 'AppRoleAssignment.ReadWrite.All', 'Manage app permission grants and app role assignments', 'Admin'),
  scope('41ce6ca6-6826-4807-84f1-1c82854f7ee5', 'DelegatedPermissionGrant.ReadWrite.All', 'Manage all delegated permission grants', 'Admin'),
  scope('f81125ac-d3b7-4573-a3b2-7099cc39df9e', 'GroupMember.ReadWrite.All', 'Read and write group memberships', 'Admin'),
  scope('aec28ec7-4d02-4e8c-b864-50163aea77eb', 'UserAuthenticationMethod.Read.All', 'Read all users\' authentication methods', 'Admin'),
];

/** OpenID Connect scopes: they describe the sign-in, not an API, and never need admin consent. */
export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

export const PARTNER_CENTER_SCOPES: PermissionScopeDefinition[] = [
  scope('1cebfa2a-fb4d-419e-b5f9-839b4383e05a', 'user_impersonation', 'Access Partner Center PPE', 'User'),
];

export const KEY_VAULT_APP_ID = 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093';
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';
export const KEY_VAULT_SCOPES: PermissionScopeDefinition[] = [
  scope('f53da476-18e3-4152-8e01-aec403e6edc0', 'user_impersonation', 'Have full access to the Azure Key Vault service', 'User'),
];

export interface FirstPartyResource {
  appId: string;
  displayName: string;
  resourceUri: string;
  appRoles: AppRoleDefinition[];
  scopes: PermissionScopeDefinition[];
}

export const FIRST_PARTY_RESOURCES: FirstPartyResource[] = [
  { appId: GRAPH_APP_ID, displayName: 'Microsoft Graph', resourceUri: GRAPH_RESOURCE, appRoles: GRAPH_APP_ROLES, scopes: GRAPH_SCOPES },
  { appId: PARTNER_CENTER_APP_ID, displayName: 'Microsoft Partner Center', resourceUri: PARTNER_CENTER_RESOURCE, appRoles: [], scopes: PARTNER_CENTER_SCOPES },
  { appId: KEY_VAULT_APP_ID, displayName: 'Azure Key Vault', resourceUri: KEY_VAULT_RESOURCE, appRoles: [], scopes: KEY_VAULT_SCOPES },
];

/** Microsoft's own tenant: owner of the first-party service principals. */
export const MICROSOFT_SERVICES_TENANT_ID = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

export function graphRoleId(value: string): string {
  const found = GRAPH_APP_ROLES.find((r) => r.value === value);
  if (!found) throw new Error(`Unknown Microsoft Graph application permission ${value}`);
  return found.id;
}

export function graphScopeId(value: string): string {
  const found = GRAPH_SCOPES.find((s) => s.value === value);
  if (!found) throw new Error(`Unknown Microsoft Graph delegated permission ${value}`);
  return found.id;
}
