// Which Graph permissions allow which call: any one listed permission suffices. Taken from the
// "Permissions" tables of the Microsoft Graph v1.0 reference (least privileged and higher).
// Application-context calls check the token's `roles`, delegated calls its `scp`.

export interface PermissionRule {
  delegated: string[];
  application: string[];
}

const dirRead = ['Directory.Read.All', 'Directory.ReadWrite.All'];

export const permissions = {
  me: { delegated: ['User.Read', 'User.ReadWrite', 'User.Read.All', 'User.ReadWrite.All', ...dirRead, 'Directory.AccessAsUser.All'], application: [] },
  readUser: {
    delegated: ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', ...dirRead, 'Directory.AccessAsUser.All'],
    application: ['User.Read.All', 'User.ReadWrite.All', ...dirRead],
  },
  organization: {
    delegated: ['User.Read', 'Organization.Read.All', 'Organization.ReadWrite.All', ...dirRead, 'Directory.AccessAsUser.All'],
    application: ['Organization.Read.All', 'Organization.ReadWrite.All', ...dirRead],
  },
  myMemberships: { delegated: ['User.Read', 'GroupMember.Read.All', 'Group.Read.All', ...dirRead, 'Directory.AccessAsUser.All'], application: [] },
  userMemberships: {
    delegated: ['GroupMember.Read.All', 'Group.Read.All', 'User.Read.All', ...dirRead, 'Directory.AccessAsUser.All'],
    application: ['GroupMember.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', 'User.Read.All', 'User.ReadWrite.All', ...dirRead],
  },
  readGroups: {
    delegated: ['GroupMember.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', ...dirRead, 'Directory.AccessAsUser.All'],
    application: ['GroupMember.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', ...dirRead],
  },
  writeGroupMembers: {
    delegated: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  checkMemberGroups: {
    delegated: ['User.Read', 'GroupMember.Read.All', 'Group.Read.All', ...dirRead, 'Directory.AccessAsUser.All'],
    application: ['GroupMember.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Application.Read.All', 'Application.ReadWrite.All', 'User.Read.All', 'User.ReadWrite.All', ...dirRead],
  },
  readApplications: {
    delegated: ['Application.Read.All', 'Application.ReadWrite.All', ...dirRead, 'Directory.AccessAsUser.All'],
    application: ['Application.Read.All', 'Application.ReadWrite.All', 'Application.ReadWrite.OwnedBy', ...dirRead],
  },
  writeApplications: {
    delegated: ['Application.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['Application.ReadWrite.All', 'Application.ReadWrite.OwnedBy'],
  },
  writeAppRoleAssignments: {
    delegated: ['AppRoleAssignment.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['AppRoleAssignment.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  readGrants: {
    delegated: ['DelegatedPermissionGrant.Read.All', 'DelegatedPermissionGrant.ReadWrite.All', ...dirRead, 'Directory.AccessAsUser.All'],
    application: ['DelegatedPermissionGrant.Read.All', 'DelegatedPermissionGrant.ReadWrite.All', ...dirRead],
  },
  writeGrants: {
    delegated: ['DelegatedPermissionGrant.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  /** tenantRelationships/delegatedAdminRelationships (list, get, accessAssignments): v1.0 reference. */
  readDelegatedAdminRelationships: {
    delegated: ['DelegatedAdminRelationship.Read.All', 'DelegatedAdminRelationship.ReadWrite.All'],
    application: ['DelegatedAdminRelationship.Read.All', 'DelegatedAdminRelationship.ReadWrite.All'],
  },
  /** users/{id}/authentication/methods (authentication-list-methods, v1.0). */
  readAuthenticationMethods: {
    delegated: ['UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'],
    application: ['UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'],
  },
  readPolicies: { delegated: ['Policy.Read.All'], application: ['Policy.Read.All'] },
} satisfies Record<string, PermissionRule>;
