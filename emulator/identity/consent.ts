// What a sign-in asks for versus what the tenant has consented to, and recording new consent.
import { GLOBAL_ADMIN_ROLE_TEMPLATE_ID, GRAPH_RESOURCE } from '../microsoft-catalog.ts';
import { consentedScopes, directRoles, findResource, parseScopes, requestedDelegated, spByAppId } from '../directory.ts';
import { newGuid, stableGuid } from '../ids.ts';

/** TotalOne's own tenant, publisher of the multi-tenant setup application (same id as the Key Vault's owner). */
export const PUBLISHER_TENANT_ID = stableGuid('totalone-operator', 'tenant');
import type { ScenarioApplication, ScenarioServicePrincipal, ScenarioTenant } from '../scenarios/types.ts';
import { logEvent, type EmulatorState } from '../state.ts';
import { aadsts } from './errors.ts';

export interface ResourceRequest {
  resource: ScenarioServicePrincipal;
  /** Concrete permission values (".default" already expanded to the app's static list). */
  permissions: string[];
}

/** Every resource named by a scope list, with its permissions resolved and validated. */
export function resolveScopeRequests(tenant: ScenarioTenant, app: ScenarioApplication, scopes: string[]): ResourceRequest[] {
  const byResource = new Map<string, string[]>();
  for (const scope of scopes) {
    const parsed = parseScopes([scope]);
    if (!parsed.resource) continue;
    const list = byResource.get(parsed.resource) ?? [];
    list.push(...parsed.permissions);
    byResource.set(parsed.resource, list);
  }
  return [...byResource.entries()].map(([uri, permissions]) => resolveResourceRequest(tenant, app, uri, permissions));
}

export function resolveResourceRequest(tenant: ScenarioTenant, app: ScenarioApplication, resourceUri: string, permissions: string[]): ResourceRequest {
  const resource = findResource(tenant, resourceUri);
  if (!resource) throw aadsts.resourceNotFound(resourceUri, tenant.id);
  const expanded = new Set<string>();
  for (const p of permissions) {
    if (p === '.default') {
      for (const s of requestedDelegated(app, resource)) expanded.add(s);
      continue;
    }
    if (!resource.oauth2PermissionScopes.some((s) => s.value.toLowerCase() === p.toLowerCase())) {
      throw aadsts.scopeUnknown(resource.resourceUri === GRAPH_RESOURCE ? p : `${resource.resourceUri}/${p}`);
    }
    expanded.add(resource.oauth2PermissionScopes.find((s) => s.value.toLowerCase() === p.toLowerCase())!.value);
  }
  return { resource, permissions: [...expanded] };
}

export function missingConsent(tenant: ScenarioTenant, app: ScenarioApplication, userId: string, request: ResourceRequest): string[] {
  const clientSp = spByAppId(tenant, app.appId);
  if (!clientSp) return request.permissions;
  const consented = consentedScopes(tenant, clientSp.id, request.resource.id, userId);
  return request.permissions.filter((p) => !consented.has(p));
}

/** Scopes that go into `scp`: everything consented for this client, user and resource. */
export function grantedScopes(tenant: ScenarioTenant, app: ScenarioApplication, userId: string, resource: ScenarioServicePrincipal): string[] {
  const clientSp = spByAppId(tenant, app.appId);
  if (!clientSp) return [];
  return [...consentedScopes(tenant, clientSp.id, resource.id, userId)];
}

export function isGlobalAdmin(tenant: ScenarioTenant, userId: string): boolean {
  return directRoles(tenant, userId).some((r) => r.roleTemplateId === GLOBAL_ADMIN_ROLE_TEMPLATE_ID);
}

export function needsAdminConsent(request: ResourceRequest, missing: string[]): boolean {
  return missing.some((m) => request.resource.oauth2PermissionScopes.find((s) => s.value === m)?.type === 'Admin');
}

/**
 * Consent to another publisher's multi-tenant app creates its service principal in the consenting
 * tenant (Entra: "the first time a user or admin consents ... a service principal is created").
 */
function addServicePrincipal(state: EmulatorState, tenant: ScenarioTenant, app: ScenarioApplication): ScenarioServicePrincipal | undefined {
  if (tenant.applications.includes(app)) return undefined;
  const sp: ScenarioServicePrincipal = { id: newGuid(), appId: app.appId, displayName: app.displayName, appRoles: [], oauth2PermissionScopes: [], appOwnerOrganizationId: PUBLISHER_TENANT_ID };
  tenant.servicePrincipals.push(sp);
  logEvent(state, 'consent.service_principal_created', { appId: app.appId, id: sp.id }, tenant.id);
  return sp;
}

/** Record consent the way the consent page does: per user, or for the whole organization. */
export function recordConsent(state: EmulatorState, tenant: ScenarioTenant, app: ScenarioApplication, userId: string, request: ResourceRequest, forOrganization: boolean): void {
  const clientSp = spByAppId(tenant, app.appId) ?? addServicePrincipal(state, tenant, app);
  if (!clientSp || request.permissions.length === 0) return;
  const existing = tenant.oauth2PermissionGrants.find((g) => g.clientId === clientSp.id && g.resourceId === request.resource.id
    && (forOrganization ? g.consentType === 'AllPrincipals' : g.consentType === 'Principal' && g.principalId === userId));
  if (existing) {
    const scopes = new Set(existing.scope.split(' ').filter(Boolean));
    for (const p of request.permissions) scopes.add(p);
    existing.scope = [...scopes].join(' ');
  } else {
    tenant.oauth2PermissionGrants.push({
      id: newGuid(), clientId: clientSp.id, consentType: forOrganization ? 'AllPrincipals' : 'Principal',
      principalId: forOrganization ? null : userId, resourceId: request.resource.id, scope: request.permissions.join(' '),
    });
  }
  logEvent(state, 'consent.granted', {
    clientAppId: app.appId, resource: request.resource.resourceUri, scopes: request.permissions,
    consentType: forOrganization ? 'AllPrincipals' : 'Principal', principalId: forOrganization ? null : userId,
  }, tenant.id);
}

/** The `scope` value of a token response: Graph permissions bare (User.Read), others as full URIs. */
export function responseScope(resource: ScenarioServicePrincipal, scopes: string[], oidc: string[]): string {
  const names = scopes.map((s) => (resource.resourceUri === GRAPH_RESOURCE ? s : `${resource.resourceUri ?? resource.appId}/${s}`));
  return [...names, ...oidc.filter((s) => s !== 'offline_access')].join(' ');
}
