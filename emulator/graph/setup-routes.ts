// Graph calls an administrator's tool makes to register an app for itself ("Set up Microsoft for
// me"): update an application (PATCH), its owners, and the tenant's default app management policy
// that can refuse or shorten client secrets. Shapes and rules from the Graph v1.0 reference:
// application-update, application-list-owners, application-post-owners, tenantappmanagementpolicy-get,
// and the passwordCredentialConfiguration resource (restrictionType passwordAddition / passwordLifetime).
import { GLOBAL_ADMIN_ROLE_TEMPLATE_ID } from '../microsoft-catalog.ts';
import { directRoles } from '../directory.ts';
import type { RequiredResourceAccess, ScenarioApplication, ScenarioTenant } from '../scenarios/types.ts';
import { logEvent } from '../state.ts';
import { requirePermission, type GraphCaller } from './auth.ts';
import { GraphError, graphErrors } from './errors.ts';
import { paginate, applySelect } from './odata.ts';
import { permissions } from './permissions.ts';
import { toDirectoryObject } from './presenters.ts';
import { collection, type GraphRoute } from './router.ts';

const APP_KEY = `(?:/([^/()]+)|\\(appId='([^']+)'\\))`;
const DEFAULT_POLICY_ID = '00000000-0000-0000-0000-000000000000';

/** Privileged Role Administrator: may grant app roles and consent, like Global Administrator. */
const PRIVILEGED_ROLE_ADMIN_TEMPLATE_ID = 'e8611ab8-c189-46e8-94e1-60213ab1f814';

/**
 * Delegated calls that grant permissions (app role assignments, tenant-wide consent, role-assignable
 * memberships) also need the signed-in user's directory role; without it Graph answers 403
 * Authorization_RequestDenied whatever the token's scopes.
 */
export function requireAdminRole(caller: GraphCaller): void {
  if (caller.isApp) return;
  const roles = directRoles(caller.tenant, caller.objectId).map((r) => r.roleTemplateId);
  if (!roles.includes(GLOBAL_ADMIN_ROLE_TEMPLATE_ID) && !roles.includes(PRIVILEGED_ROLE_ADMIN_TEMPLATE_ID)) throw graphErrors.denied();
}

function findApplication(tenant: ScenarioTenant, id: string, appId: string): ScenarioApplication {
  const app = id ? tenant.applications.find((a) => a.id === id) : tenant.applications.find((a) => a.appId === appId);
  if (!app) throw graphErrors.notFound(id || appId);
  return app;
}

function durationMs(iso: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m) return Number.POSITIVE_INFINITY;
  const [, d, h, min, s] = m.map((v) => Number(v ?? 0));
  return (((d! * 24 + h!) * 60 + min!) * 60 + s!) * 1000;
}

/**
 * The tenant's default app management policy applied to a new client secret (addPassword). Learn
 * documents the restrictions, not the error text: the messages are those Graph answers in practice.
 */
export function enforceSecretPolicy(tenant: ScenarioTenant, start: Date, end: Date): void {
  const policy = tenant.appManagementPolicy;
  if (!policy) return;
  if (policy.blockPasswordAddition) throw new GraphError(400, 'Request_BadRequest', 'Credential type not allowed as per assigned policy.');
  if (policy.passwordMaxLifetime && end.getTime() - start.getTime() > durationMs(policy.passwordMaxLifetime)) {
    throw new GraphError(400, 'Request_BadRequest', 'Credential lifetime exceeds the max value allowed as per assigned policy.');
  }
}

function passwordRestrictions(tenant: ScenarioTenant) {
  const policy = tenant.appManagementPolicy;
  if (!policy) return [];
  return [
    ...(policy.blockPasswordAddition ? [{ restrictionType: 'passwordAddition', state: 'enabled', maxLifetime: null, restrictForAppsCreatedAfterDateTime: '2019-01-01T10:37:00Z' }] : []),
    ...(policy.passwordMaxLifetime ? [{ restrictionType: 'passwordLifetime', state: 'enabled', maxLifetime: policy.passwordMaxLifetime, restrictForAppsCreatedAfterDateTime: '2017-01-01T10:37:00Z' }] : []),
  ];
}

function asRequiredResourceAccess(value: unknown): RequiredResourceAccess[] {
  if (!Array.isArray(value)) throw graphErrors.badRequest('Invalid value specified for property \'requiredResourceAccess\' of resource \'Application\'.');
  return value.map((r: { resourceAppId?: unknown; resourceAccess?: unknown }) => {
    if (typeof r?.resourceAppId !== 'string' || !Array.isArray(r.resourceAccess)) throw graphErrors.badRequest('Invalid value specified for property \'requiredResourceAccess\' of resource \'Application\'.');
    return {
      resourceAppId: r.resourceAppId,
      resourceAccess: (r.resourceAccess as Array<{ id?: unknown; type?: unknown }>).map((a) => {
        if (typeof a?.id !== 'string' || (a.type !== 'Role' && a.type !== 'Scope')) throw graphErrors.badRequest('Invalid value specified for property \'resourceAccess\' of resource \'RequiredResourceAccess\'.');
        return { id: a.id, type: a.type };
      }),
    };
  });
}

function redirectUris(value: unknown, property: string): string[] {
  const uris = (value as { redirectUris?: unknown } | null)?.redirectUris;
  if (!Array.isArray(uris) || uris.some((u) => typeof u !== 'string')) throw graphErrors.badRequest(`Invalid value specified for property '${property}' of resource 'Application'.`);
  return uris as string[];
}

/** The fixed id of every user's password method (authentication-list-methods, passwordAuthenticationMethod). */
const PASSWORD_METHOD_ID = '28c10230-6103-485e-b985-444c60001490';

export const setupRoutes: GraphRoute[] = [
  {
    // https://learn.microsoft.com/en-us/graph/api/authentication-list-methods: the password plus each registered method.
    method: 'GET', pattern: /^\/users\/([^/]+)\/authentication\/methods\/?$/,
    handle: (ctx, [key]) => {
      requirePermission(ctx.caller, permissions.readAuthenticationMethods);
      if (ctx.caller.objectId !== key) requireAdminRole(ctx.caller);
      const tenant = ctx.caller.tenant;
      const user = tenant.users.find((u) => u.id === key || u.userPrincipalName.toLowerCase() === key!.toLowerCase());
      if (!user) throw graphErrors.notFound(key!);
      const methods: Record<string, unknown>[] = [{ '@odata.type': '#microsoft.graph.passwordAuthenticationMethod', id: PASSWORD_METHOD_ID, password: null, createdDateTime: user.passwordChangedAt }];
      if (user.mfa?.method === 'totp') methods.push({ '@odata.type': '#microsoft.graph.softwareOathAuthenticationMethod', id: `${user.id.slice(0, 24)}0a7e0a7e0a7e`, secretKey: null });
      if (user.mfa?.method === 'approve') methods.push({ '@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod', id: `${user.id.slice(0, 24)}a0a0a0a0a0a0`, displayName: 'Phone', deviceTag: 'SoftwareTokenActivated', phoneAppVersion: '6.2401.0119', createdDateTime: user.passwordChangedAt });
      return collection(ctx, `users('${user.id}')/authentication/methods`, methods);
    },
  },
  {
    // PATCH replaces each property given whole (collections too); passwordCredentials go through addPassword.
    method: 'PATCH', pattern: new RegExp(`^/applications${APP_KEY}/?$`),
    handle: (ctx, [id, appId]) => {
      requirePermission(ctx.caller, permissions.writeApplications);
      const app = findApplication(ctx.caller.tenant, id!, appId!);
      const b = ctx.body as Record<string, unknown>;
      if ('passwordCredentials' in b) throw graphErrors.badRequest('Property \'passwordCredentials\' is read-only and cannot be set. Use addPassword.');
      const changed: string[] = [];
      if ('displayName' in b) {
        if (typeof b.displayName !== 'string' || !b.displayName.trim()) throw graphErrors.badRequest('Invalid value specified for property \'displayName\' of resource \'Application\'.');
        app.displayName = b.displayName;
        changed.push('displayName');
      }
      if ('requiredResourceAccess' in b) {
        app.requiredResourceAccess = asRequiredResourceAccess(b.requiredResourceAccess);
        changed.push('requiredResourceAccess');
      }
      if ('web' in b) {
        app.webRedirectUris = redirectUris(b.web, 'web');
        changed.push('web');
      }
      if ('publicClient' in b) {
        app.publicClientRedirectUris = redirectUris(b.publicClient, 'publicClient');
        changed.push('publicClient');
      }
      if ('notes' in b) {
        if (b.notes !== null && typeof b.notes !== 'string') throw graphErrors.badRequest('Invalid value specified for property \'notes\' of resource \'Application\'.');
        app.notes = b.notes as string | null;
        changed.push('notes');
      }
      logEvent(ctx.state, 'graph.application_updated', { appId: app.appId, properties: changed, by: ctx.caller.appId }, ctx.caller.tenant.id);
      return { status: 204 };
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/applications${APP_KEY}/owners/?$`),
    handle: (ctx, [id, appId]) => {
      requirePermission(ctx.caller, permissions.readApplications);
      const tenant = ctx.caller.tenant;
      const app = findApplication(tenant, id!, appId!);
      const items = (app.owners ?? []).map((o) => toDirectoryObject(tenant, o)).filter((o): o is Record<string, unknown> => o !== undefined);
      const page = paginate(items, ctx.query, `${ctx.root}${ctx.path}`);
      return collection(ctx, 'directoryObjects', page.value.map((o) => applySelect(o, ctx.query.$select)), page.nextLink);
    },
  },
  {
    method: 'POST', pattern: new RegExp(`^/applications${APP_KEY}/owners/\\$ref$`),
    handle: (ctx, [id, appId]) => {
      requirePermission(ctx.caller, permissions.writeApplications);
      const tenant = ctx.caller.tenant;
      const app = findApplication(tenant, id!, appId!);
      const ref = ctx.body['@odata.id'];
      const ownerId = typeof ref === 'string' ? /([0-9a-f-]{36})\/?$/i.exec(ref)?.[1]?.toLowerCase() : undefined;
      if (!ownerId) throw graphErrors.badRequest('Invalid object identifier \'@odata.id\'.');
      if (!toDirectoryObject(tenant, ownerId)) throw graphErrors.notFound(ownerId);
      if ((app.owners ?? []).includes(ownerId)) throw graphErrors.badRequest('One or more added object references already exist for the following modified properties: \'owners\'.');
      app.owners = [...(app.owners ?? []), ownerId];
      logEvent(ctx.state, 'graph.application_owner_added', { appId: app.appId, ownerId, by: ctx.caller.appId }, tenant.id);
      return { status: 204 };
    },
  },
  {
    method: 'GET', pattern: /^\/policies\/defaultAppManagementPolicy\/?$/,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.readPolicies);
      const tenant = ctx.caller.tenant;
      const restrictions = passwordRestrictions(tenant);
      return {
        body: {
          '@odata.context': `${ctx.root}/$metadata#policies/defaultAppManagementPolicy/$entity`,
          '@odata.id': `https://graph.microsoft.com/v2/${tenant.id}/defaultAppManagementPolicy/${DEFAULT_POLICY_ID}`,
          id: DEFAULT_POLICY_ID,
          displayName: 'Default app management tenant policy',
          description: 'Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.',
          isEnabled: restrictions.length > 0,
          applicationRestrictions: { passwordCredentials: restrictions, keyCredentials: [] },
          servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
        },
      };
    },
  },
];
