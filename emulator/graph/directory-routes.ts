// Graph: users, organization, memberships, groups and the security defaults policy.
import { directRoles, transitiveGroupIds } from '../directory.ts';
import { SECURITY_DEFAULTS_POLICY_ID } from '../microsoft-catalog.ts';
import type { ScenarioTenant } from '../scenarios/types.ts';
import { logEvent } from '../state.ts';
import { requirePermission, requireUser } from './auth.ts';
import { graphErrors } from './errors.ts';
import { applyFilter, applySelect, paginate } from './odata.ts';
import { permissions } from './permissions.ts';
import { toDirectoryObject, toDirectoryRole, toGroup, toOrganization, toUser } from './presenters.ts';
import { collection, entity, type GraphContext, type GraphRoute } from './router.ts';

const ID = `([^/()]+)`;

function findUser(tenant: ScenarioTenant, idOrUpn: string) {
  const wanted = idOrUpn.toLowerCase();
  const user = tenant.users.find((u) => u.id === wanted || u.userPrincipalName.toLowerCase() === wanted);
  if (!user) throw graphErrors.notFound(idOrUpn);
  return user;
}

function findGroup(tenant: ScenarioTenant, id: string) {
  const group = tenant.groups.find((g) => g.id === id);
  if (!group) throw graphErrors.notFound(id);
  return group;
}

function objectExists(tenant: ScenarioTenant, id: string): boolean {
  return toDirectoryObject(tenant, id) !== undefined;
}

/** memberOf / transitiveMemberOf: groups plus directory roles, as directoryObject items. */
function memberships(ctx: GraphContext, objectId: string, transitive: boolean) {
  const tenant = ctx.caller.tenant;
  const groupIds = transitive ? [...transitiveGroupIds(tenant, objectId)] : tenant.groups.filter((g) => g.members.includes(objectId)).map((g) => g.id);
  const items = [
    ...groupIds.map((id) => toGroup(tenant.groups.find((g) => g.id === id)!, true)),
    ...directRoles(tenant, objectId).map(toDirectoryRole),
  ];
  const page = paginate(items, ctx.query, `${ctx.root}${ctx.path}`);
  return collection(ctx, 'directoryObjects', page.value.map((o) => applySelect(o, ctx.query.$select)), page.nextLink);
}

function checkMemberGroups(ctx: GraphContext, objectId: string) {
  const groupIds = ctx.body.groupIds;
  if (!Array.isArray(groupIds) || groupIds.some((g) => typeof g !== 'string')) throw graphErrors.badRequest('Invalid request body: groupIds must be an array of strings.');
  if (groupIds.length > 20) throw graphErrors.badRequest('The number of group ids in the request exceeds the limit of 20.');
  const memberOf = transitiveGroupIds(ctx.caller.tenant, objectId);
  return { body: { '@odata.context': `${ctx.root}/$metadata#Collection(Edm.String)`, value: (groupIds as string[]).filter((g) => memberOf.has(g)) } };
}

export const directoryRoutes: GraphRoute[] = [
  {
    method: 'GET', pattern: /^\/me\/?$/,
    handle: (ctx) => {
      const userId = requireUser(ctx.caller);
      requirePermission(ctx.caller, permissions.me);
      return entity(ctx, 'users', applySelect(toUser(findUser(ctx.caller.tenant, userId)), ctx.query.$select));
    },
  },
  {
    method: 'GET', pattern: /^\/me\/(memberOf|transitiveMemberOf)\/?$/,
    handle: (ctx, [kind]) => {
      const userId = requireUser(ctx.caller);
      requirePermission(ctx.caller, permissions.myMemberships);
      return memberships(ctx, userId, kind === 'transitiveMemberOf');
    },
  },
  {
    method: 'POST', pattern: /^\/me\/checkMemberGroups$/,
    handle: (ctx) => {
      const userId = requireUser(ctx.caller);
      requirePermission(ctx.caller, permissions.checkMemberGroups);
      return checkMemberGroups(ctx, userId);
    },
  },
  {
    method: 'GET', pattern: /^\/users\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.readUser);
      const items = applyFilter(ctx.caller.tenant.users.map((u) => toUser(u)), ctx.query.$filter, ['userPrincipalName', 'displayName', 'mail', 'id', 'accountEnabled'], 'user');
      const page = paginate(items, ctx.query, `${ctx.root}/users`);
      return collection(ctx, 'users', page.value.map((o) => applySelect(o, ctx.query.$select)), page.nextLink);
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/users/${ID}/?$`),
    handle: (ctx, [id]) => {
      const user = findUser(ctx.caller.tenant, id!);
      // Reading yourself needs only User.Read.
      if (ctx.caller.isApp || user.id !== ctx.caller.objectId) requirePermission(ctx.caller, permissions.readUser);
      else requirePermission(ctx.caller, permissions.me);
      return entity(ctx, 'users', applySelect(toUser(user), ctx.query.$select));
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/users/${ID}/(memberOf|transitiveMemberOf)/?$`),
    handle: (ctx, [id, kind]) => {
      const user = findUser(ctx.caller.tenant, id!);
      if (ctx.caller.isApp || user.id !== ctx.caller.objectId) requirePermission(ctx.caller, permissions.userMemberships);
      else requirePermission(ctx.caller, permissions.myMemberships);
      return memberships(ctx, user.id, kind === 'transitiveMemberOf');
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/servicePrincipals/${ID}/(memberOf|transitiveMemberOf)/?$`),
    handle: (ctx, [id, kind]) => {
      requirePermission(ctx.caller, permissions.userMemberships);
      if (!ctx.caller.tenant.servicePrincipals.some((s) => s.id === id)) throw graphErrors.notFound(id!);
      return memberships(ctx, id!, kind === 'transitiveMemberOf');
    },
  },
  {
    method: 'POST', pattern: new RegExp(`^/(?:directoryObjects|users|servicePrincipals|groups)/${ID}/checkMemberGroups$`),
    handle: (ctx, [id]) => {
      const tenant = ctx.caller.tenant;
      const user = tenant.users.find((u) => u.id === id || u.userPrincipalName.toLowerCase() === id!.toLowerCase());
      const objectId = user?.id ?? id!;
      if (!objectExists(tenant, objectId)) throw graphErrors.notFound(id!);
      if (ctx.caller.isApp || objectId !== ctx.caller.objectId) requirePermission(ctx.caller, { ...permissions.checkMemberGroups, delegated: permissions.checkMemberGroups.delegated.filter((p) => p !== 'User.Read') });
      else requirePermission(ctx.caller, permissions.checkMemberGroups);
      return checkMemberGroups(ctx, objectId);
    },
  },
  {
    method: 'GET', pattern: /^\/organization\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.organization);
      return collection(ctx, 'organization', [applySelect(toOrganization(ctx.caller.tenant), ctx.query.$select)]);
    },
  },
  {
    method: 'GET', pattern: /^\/groups\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.readGroups);
      const items = applyFilter(ctx.caller.tenant.groups.map((g) => toGroup(g)), ctx.query.$filter, ['displayName', 'mailNickname', 'id', 'securityEnabled', 'mailEnabled'], 'group');
      const page = paginate(items, ctx.query, `${ctx.root}/groups`);
      return collection(ctx, 'groups', page.value.map((o) => applySelect(o, ctx.query.$select)), page.nextLink);
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/groups/${ID}/?$`),
    handle: (ctx, [id]) => {
      requirePermission(ctx.caller, permissions.readGroups);
      return entity(ctx, 'groups', applySelect(toGroup(findGroup(ctx.caller.tenant, id!)), ctx.query.$select));
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/groups/${ID}/members/?$`),
    handle: (ctx, [id]) => {
      requirePermission(ctx.caller, permissions.readGroups);
      const tenant = ctx.caller.tenant;
      const items = findGroup(tenant, id!).members.map((m) => toDirectoryObject(tenant, m)).filter((o): o is Record<string, unknown> => o !== undefined);
      const page = paginate(items, ctx.query, `${ctx.root}/groups/${id}/members`);
      return collection(ctx, 'directoryObjects', page.value.map((o) => applySelect(o, ctx.query.$select)), page.nextLink);
    },
  },
  {
    method: 'POST', pattern: new RegExp(`^/groups/${ID}/members/\\$ref$`),
    handle: (ctx, [id]) => {
      requirePermission(ctx.caller, permissions.writeGroupMembers);
      const tenant = ctx.caller.tenant;
      const group = findGroup(tenant, id!);
      const ref = ctx.body['@odata.id'];
      const memberId = typeof ref === 'string' ? /([0-9a-f-]{36})\/?$/i.exec(ref)?.[1]?.toLowerCase() : undefined;
      if (!memberId) throw graphErrors.badRequest('Invalid object identifier \'@odata.id\'.');
      if (!objectExists(tenant, memberId)) throw graphErrors.notFound(memberId);
      if (group.members.includes(memberId)) throw graphErrors.badRequest('One or more added object references already exist for the following modified properties: \'members\'.');
      group.members.push(memberId);
      logEvent(ctx.state, 'graph.group_member_added', { groupId: group.id, groupName: group.displayName, memberId, by: ctx.caller.appId }, tenant.id);
      return { status: 204 };
    },
  },
  {
    method: 'DELETE', pattern: new RegExp(`^/groups/${ID}/members/${ID}/\\$ref$`),
    handle: (ctx, [id, memberId]) => {
      requirePermission(ctx.caller, permissions.writeGroupMembers);
      const group = findGroup(ctx.caller.tenant, id!);
      if (!group.members.includes(memberId!)) throw graphErrors.notFound(memberId!);
      group.members = group.members.filter((m) => m !== memberId);
      logEvent(ctx.state, 'graph.group_member_removed', { groupId: group.id, memberId, by: ctx.caller.appId }, ctx.caller.tenant.id);
      return { status: 204 };
    },
  },
  {
    method: 'GET', pattern: /^\/policies\/identitySecurityDefaultsEnforcementPolicy\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.readPolicies);
      return {
        body: {
          '@odata.context': `${ctx.root}/$metadata#policies/identitySecurityDefaultsEnforcementPolicy/$entity`,
          id: SECURITY_DEFAULTS_POLICY_ID,
          displayName: 'Security Defaults',
          description: 'Security defaults is a set of basic identity security mechanisms recommended by Microsoft. When enabled, these recommendations will be automatically enforced in your organization. Administrators and users will be better protected from common identity related attacks.',
          isEnabled: ctx.caller.tenant.securityDefaultsEnabled,
        },
      };
    },
  },
];
