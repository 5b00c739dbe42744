// Graph: applications, service principals, app role assignments and delegated permission grants.
import { FIRST_PARTY_RESOURCES, MICROSOFT_SERVICES_TENANT_ID } from '../microsoft-catalog.ts';
import { clientSecretValue, newGuid } from '../ids.ts';
import type { RequiredResourceAccess, ScenarioApplication, ScenarioTenant } from '../scenarios/types.ts';
import { logEvent } from '../state.ts';
import { requirePermission } from './auth.ts';
import { enforceSecretPolicy, requireAdminRole } from './setup-routes.ts';
import { graphErrors } from './errors.ts';
import { applyFilter, applySelect, paginate } from './odata.ts';
import { permissions } from './permissions.ts';
import { toAppRoleAssignment, toApplication, toPermissionGrant, toServicePrincipal } from './presenters.ts';
import { collection, entity, type GraphContext, type GraphRoute } from './router.ts';

/** `/applications/{id}` or `/applications(appId='{appId}')`. */
const APP_KEY = `(?:/([^/()]+)|\\(appId='([^']+)'\\))`;
const SP_KEY = APP_KEY;
const YEAR_MS = 365 * 86_400_000;

function findApplication(tenant: ScenarioTenant, id: string, appId: string): ScenarioApplication {
  const app = id ? tenant.applications.find((a) => a.id === id) : tenant.applications.find((a) => a.appId === appId);
  if (!app) throw graphErrors.notFound(id || appId);
  return app;
}

function findSp(tenant: ScenarioTenant, id: string, appId: string) {
  const sp = id ? tenant.servicePrincipals.find((s) => s.id === id) : tenant.servicePrincipals.find((s) => s.appId === appId);
  if (!sp) throw graphErrors.notFound(id || appId);
  return sp;
}

function listOf(ctx: GraphContext, contextPath: string, items: Record<string, unknown>[], filterable: string[], typeName: string) {
  const filtered = applyFilter(items, ctx.query.$filter, filterable, typeName);
  const page = paginate(filtered, ctx.query, `${ctx.root}/${contextPath}`);
  return collection(ctx, contextPath, page.value.map((o) => applySelect(o, ctx.query.$select)), page.nextLink);
}

function asRequiredResourceAccess(value: unknown): RequiredResourceAccess[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw graphErrors.badRequest('Invalid value for property \'requiredResourceAccess\'.');
  return value.map((r: { resourceAppId?: unknown; resourceAccess?: unknown }) => {
    if (typeof r?.resourceAppId !== 'string' || !Array.isArray(r.resourceAccess)) throw graphErrors.badRequest('Invalid value for property \'requiredResourceAccess\'.');
    return {
      resourceAppId: r.resourceAppId,
      resourceAccess: (r.resourceAccess as Array<{ id?: unknown; type?: unknown }>).map((a) => {
        if (typeof a?.id !== 'string' || (a.type !== 'Role' && a.type !== 'Scope')) throw graphErrors.badRequest('Invalid value for property \'resourceAccess\'.');
        return { id: a.id, type: a.type };
      }),
    };
  });
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export const appRoutes: GraphRoute[] = [
  {
    method: 'GET', pattern: /^\/applications\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.readApplications);
      return listOf(ctx, 'applications', ctx.caller.tenant.applications.map(toApplication), ['appId', 'displayName', 'id', 'signInAudience'], 'application');
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/applications${APP_KEY}/?$`),
    handle: (ctx, [id, appId]) => {
      requirePermission(ctx.caller, permissions.readApplications);
      return entity(ctx, 'applications', applySelect(toApplication(findApplication(ctx.caller.tenant, id!, appId!)), ctx.query.$select));
    },
  },
  {
    method: 'POST', pattern: /^\/applications\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.writeApplications);
      const b = ctx.body as Record<string, any>;
      if (typeof b.displayName !== 'string' || !b.displayName.trim()) throw graphErrors.badRequest('Property \'displayName\' is required.');
      const app: ScenarioApplication = {
        id: newGuid(), appId: newGuid(), displayName: b.displayName,
        signInAudience: b.signInAudience === 'AzureADMultipleOrgs' ? 'AzureADMultipleOrgs' : 'AzureADMyOrg',
        isPublicClient: b.isFallbackPublicClient === true,
        webRedirectUris: stringList(b.web?.redirectUris), publicClientRedirectUris: stringList(b.publicClient?.redirectUris),
        requiredResourceAccess: asRequiredResourceAccess(b.requiredResourceAccess), passwordCredentials: [],
        createdDateTime: ctx.state.now().toISOString(),
        // A user who creates an app (delegated) becomes its owner.
        ...(ctx.caller.isApp ? {} : { owners: [ctx.caller.objectId] }),
        ...(typeof b.notes === 'string' ? { notes: b.notes } : {}),
      };
      ctx.caller.tenant.applications.push(app);
      logEvent(ctx.state, 'graph.application_created', { id: app.id, appId: app.appId, displayName: app.displayName, by: ctx.caller.appId }, ctx.caller.tenant.id);
      return entity(ctx, 'applications', toApplication(app), 201);
    },
  },
  {
    method: 'POST', pattern: new RegExp(`^/applications${APP_KEY}/addPassword$`),
    handle: (ctx, [id, appId]) => {
      requirePermission(ctx.caller, permissions.writeApplications);
      const app = findApplication(ctx.caller.tenant, id!, appId!);
      const input = (ctx.body.passwordCredential ?? {}) as Record<string, unknown>;
      const now = ctx.state.now();
      const start = typeof input.startDateTime === 'string' ? new Date(input.startDateTime) : now;
      const end = typeof input.endDateTime === 'string' ? new Date(input.endDateTime) : new Date(start.getTime() + 2 * YEAR_MS);
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) throw graphErrors.badRequest('Invalid value specified for property \'endDateTime\' of resource \'PasswordCredential\'.');
      enforceSecretPolicy(ctx.caller.tenant, start, end);
      const secretText = clientSecretValue();
      const credential = {
        keyId: newGuid(), displayName: typeof input.displayName === 'string' ? input.displayName : '', secretText,
        startDateTime: start.toISOString(), endDateTime: end.toISOString(),
      };
      app.passwordCredentials.push(credential);
      logEvent(ctx.state, 'graph.password_added', { appId: app.appId, keyId: credential.keyId, endDateTime: credential.endDateTime, by: ctx.caller.appId }, ctx.caller.tenant.id);
      return {
        body: {
          '@odata.context': `${ctx.root}/$metadata#microsoft.graph.passwordCredential`,
          customKeyIdentifier: null, displayName: credential.displayName, endDateTime: credential.endDateTime,
          hint: secretText.slice(0, 3), keyId: credential.keyId, secretText, startDateTime: credential.startDateTime,
        },
      };
    },
  },
  {
    method: 'POST', pattern: new RegExp(`^/applications${APP_KEY}/removePassword$`),
    handle: (ctx, [id, appId]) => {
      requirePermission(ctx.caller, permissions.writeApplications);
      const app = findApplication(ctx.caller.tenant, id!, appId!);
      const keyId = ctx.body.keyId;
      if (!app.passwordCredentials.some((c) => c.keyId === keyId)) throw graphErrors.badRequest(`No password credential found with keyId '${String(keyId)}'.`);
      app.passwordCredentials = app.passwordCredentials.filter((c) => c.keyId !== keyId);
      logEvent(ctx.state, 'graph.password_removed', { appId: app.appId, keyId }, ctx.caller.tenant.id);
      return { status: 204 };
    },
  },
  {
    method: 'GET', pattern: /^\/servicePrincipals\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.readApplications);
      return listOf(ctx, 'servicePrincipals', ctx.caller.tenant.servicePrincipals.map((s) => toServicePrincipal(s)), ['appId', 'displayName', 'id'], 'servicePrincipal');
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/servicePrincipals${SP_KEY}/?$`),
    handle: (ctx, [id, appId]) => {
      requirePermission(ctx.caller, permissions.readApplications);
      return entity(ctx, 'servicePrincipals', applySelect(toServicePrincipal(findSp(ctx.caller.tenant, id!, appId!)), ctx.query.$select));
    },
  },
  {
    method: 'POST', pattern: /^\/servicePrincipals\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.writeApplications);
      const tenant = ctx.caller.tenant;
      const appId = ctx.body.appId;
      if (typeof appId !== 'string') throw graphErrors.badRequest('Property \'appId\' is required.');
      if (tenant.servicePrincipals.some((s) => s.appId === appId)) throw graphErrors.conflict('Another object with the same value for property servicePrincipalNames already exists.');
      const own = tenant.applications.find((a) => a.appId === appId);
      const firstParty = FIRST_PARTY_RESOURCES.find((r) => r.appId === appId);
      if (!own && !firstParty) throw graphErrors.badRequest(`The appId '${appId}' of the service principal does not reference a valid application object.`);
      const sp = {
        id: newGuid(), appId, displayName: own?.displayName ?? firstParty!.displayName,
        ...(firstParty ? { resourceUri: firstParty.resourceUri } : {}),
        appRoles: firstParty?.appRoles ?? [], oauth2PermissionScopes: firstParty?.scopes ?? [],
        appOwnerOrganizationId: own ? tenant.id : MICROSOFT_SERVICES_TENANT_ID,
      };
      tenant.servicePrincipals.push(sp);
      logEvent(ctx.state, 'graph.service_principal_created', { id: sp.id, appId, by: ctx.caller.appId }, tenant.id);
      return entity(ctx, 'servicePrincipals', toServicePrincipal(sp), 201);
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/servicePrincipals${SP_KEY}/(appRoleAssignments|appRoleAssignedTo)/?$`),
    handle: (ctx, [id, appId, kind]) => {
      requirePermission(ctx.caller, permissions.readApplications);
      const tenant = ctx.caller.tenant;
      const sp = findSp(tenant, id!, appId!);
      const items = tenant.appRoleAssignments
        .filter((a) => (kind === 'appRoleAssignments' ? a.principalId === sp.id : a.resourceId === sp.id))
        .map((a) => toAppRoleAssignment(tenant, a));
      const page = paginate(items, ctx.query, `${ctx.root}${ctx.path}`);
      return collection(ctx, `servicePrincipals('${sp.id}')/${kind}`, page.value.map((o) => applySelect(o, ctx.query.$select)), page.nextLink);
    },
  },
  {
    // Both directions create the same object: .../{resource}/appRoleAssignedTo or .../{client}/appRoleAssignments.
    method: 'POST', pattern: new RegExp(`^/servicePrincipals${SP_KEY}/(appRoleAssignments|appRoleAssignedTo)$`),
    handle: (ctx, [id, appId, kind]) => {
      requirePermission(ctx.caller, permissions.writeAppRoleAssignments);
      requireAdminRole(ctx.caller);
      const tenant = ctx.caller.tenant;
      const sp = findSp(tenant, id!, appId!);
      const { principalId, resourceId, appRoleId } = ctx.body as Record<string, unknown>;
      if (typeof principalId !== 'string' || typeof resourceId !== 'string' || typeof appRoleId !== 'string') throw graphErrors.badRequest('Properties principalId, resourceId and appRoleId are required.');
      if (kind === 'appRoleAssignedTo' ? resourceId !== sp.id : principalId !== sp.id) throw graphErrors.badRequest('The service principal in the URL must match the request body.');
      const resource = tenant.servicePrincipals.find((s) => s.id === resourceId);
      if (!resource) throw graphErrors.notFound(resourceId);
      if (!tenant.servicePrincipals.some((s) => s.id === principalId)) throw graphErrors.notFound(principalId);
      if (!resource.appRoles.some((r) => r.id === appRoleId)) throw graphErrors.badRequest('Permission being assigned was not found on application');
      if (tenant.appRoleAssignments.some((a) => a.principalId === principalId && a.resourceId === resourceId && a.appRoleId === appRoleId)) {
        throw graphErrors.badRequest('Permission being assigned already exists on the object');
      }
      const assignment = { id: newGuid(), appRoleId, principalId, resourceId, createdDateTime: ctx.state.now().toISOString() };
      tenant.appRoleAssignments.push(assignment);
      logEvent(ctx.state, 'graph.app_role_assigned', { principalId, resourceId, appRoleId, value: resource.appRoles.find((r) => r.id === appRoleId)?.value, by: ctx.caller.appId }, tenant.id);
      return entity(ctx, `servicePrincipals('${sp.id}')/${kind}`, toAppRoleAssignment(tenant, assignment), 201);
    },
  },
  {
    method: 'GET', pattern: /^\/oauth2PermissionGrants\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.readGrants);
      return listOf(ctx, 'oauth2PermissionGrants', ctx.caller.tenant.oauth2PermissionGrants.map(toPermissionGrant), ['clientId', 'resourceId', 'consentType', 'principalId', 'id'], 'oAuth2PermissionGrant');
    },
  },
  {
    method: 'POST', pattern: /^\/oauth2PermissionGrants\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.writeGrants);
      const tenant = ctx.caller.tenant;
      const { clientId, consentType, principalId, resourceId, scope } = ctx.body as Record<string, unknown>;
      if (typeof clientId !== 'string' || typeof resourceId !== 'string' || typeof scope !== 'string' || (consentType !== 'AllPrincipals' && consentType !== 'Principal')) {
        throw graphErrors.badRequest('Properties clientId, consentType, resourceId and scope are required.');
      }
      if (consentType === 'Principal' && typeof principalId !== 'string') throw graphErrors.badRequest('principalId is required when consentType is Principal.');
      if (consentType === 'AllPrincipals') requireAdminRole(ctx.caller);
      if (!tenant.servicePrincipals.some((s) => s.id === clientId)) throw graphErrors.notFound(clientId);
      const resource = tenant.servicePrincipals.find((s) => s.id === resourceId);
      if (!resource) throw graphErrors.notFound(resourceId);
      const unknown = scope.split(' ').filter(Boolean).filter((s) => !resource.oauth2PermissionScopes.some((p) => p.value === s));
      if (unknown.length > 0) throw graphErrors.badRequest(`Invalid scope value(s): ${unknown.join(', ')}.`);
      const pid = consentType === 'Principal' ? (principalId as string) : null;
      if (tenant.oauth2PermissionGrants.some((g) => g.clientId === clientId && g.resourceId === resourceId && g.consentType === consentType && g.principalId === pid)) {
        throw graphErrors.conflict('Permission entry already exists.');
      }
      const grant = { id: newGuid(), clientId, consentType: consentType as 'AllPrincipals' | 'Principal', principalId: pid, resourceId, scope };
      tenant.oauth2PermissionGrants.push(grant);
      logEvent(ctx.state, 'graph.permission_grant_created', { ...grant, by: ctx.caller.appId }, tenant.id);
      return entity(ctx, 'oauth2PermissionGrants', toPermissionGrant(grant), 201);
    },
  },
  {
    method: 'PATCH', pattern: /^\/oauth2PermissionGrants\/([^/]+)$/,
    handle: (ctx, [id]) => {
      requirePermission(ctx.caller, permissions.writeGrants);
      const grant = ctx.caller.tenant.oauth2PermissionGrants.find((g) => g.id === id);
      if (!grant) throw graphErrors.notFound(id!);
      if (typeof ctx.body.scope !== 'string') throw graphErrors.badRequest('Property \'scope\' is required.');
      grant.scope = ctx.body.scope;
      logEvent(ctx.state, 'graph.permission_grant_updated', { id: grant.id, scope: grant.scope, by: ctx.caller.appId }, ctx.caller.tenant.id);
      return { status: 204 };
    },
  },
];
