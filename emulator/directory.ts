// Read helpers over the running scenario: find tenants, users, apps and what they were granted.
// Identity, Graph and Partner Center all answer from these, so they always agree.
import { DEFAULT_USER_ROLE_TEMPLATE_ID, FIRST_PARTY_RESOURCES, GRAPH_RESOURCE, OIDC_SCOPES } from './microsoft-catalog.ts';
import type {
  Scenario, ScenarioApplication, ScenarioServicePrincipal, ScenarioTenant, ScenarioUser,
} from './scenarios/types.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** Resolve the `{tenant}` path segment: a tenant id or one of its domains. */
export function findTenant(scenario: Scenario, segment: string): ScenarioTenant | undefined {
  const wanted = segment.toLowerCase();
  return scenario.tenants.find((t) => t.id === wanted || t.domains.some((d) => d.toLowerCase() === wanted));
}

export function tenantById(scenario: Scenario, id: string): ScenarioTenant | undefined {
  return scenario.tenants.find((t) => t.id === id);
}

export function findUserByUpn(scenario: Scenario, upn: string): { tenant: ScenarioTenant; user: ScenarioUser } | undefined {
  const wanted = upn.trim().toLowerCase();
  for (const tenant of scenario.tenants) {
    const user = tenant.users.find((u) => u.userPrincipalName.toLowerCase() === wanted);
    if (user) return { tenant, user };
  }
  return undefined;
}

export function findApp(tenant: ScenarioTenant, appId: string): ScenarioApplication | undefined {
  return tenant.applications.find((a) => a.appId === appId);
}

/**
 * The client of a sign-in or token request in `tenant`: the tenant's own registration, or a
 * multi-tenant one of another publisher (usable in any tenant; its service principal appears with consent).
 */
export function findClientApp(scenario: Scenario, tenant: ScenarioTenant, appId: string): ScenarioApplication | undefined {
  return findApp(tenant, appId) ?? (scenario.publisherApps ?? []).find((a) => a.appId === appId && a.signInAudience === 'AzureADMultipleOrgs');
}

/** Apps visible when the tenant is not known yet (/common): any tenant's registration. */
export function findAppAnywhere(scenario: Scenario, appId: string): { tenant: ScenarioTenant; app: ScenarioApplication } | undefined {
  for (const tenant of scenario.tenants) {
    const app = findApp(tenant, appId);
    if (app) return { tenant, app };
  }
  return undefined;
}

export function spByAppId(tenant: ScenarioTenant, appId: string): ScenarioServicePrincipal | undefined {
  return tenant.servicePrincipals.find((s) => s.appId === appId);
}

/** A resource service principal by its audience URI (https://graph.microsoft.com) or appId. */
export function findResource(tenant: ScenarioTenant, resource: string): ScenarioServicePrincipal | undefined {
  const wanted = resource.replace(/\/+$/, '').toLowerCase();
  return tenant.servicePrincipals.find((s) => s.appId === wanted || (s.resourceUri && s.resourceUri.toLowerCase() === wanted));
}

export function findResourceUri(resource: string): string | undefined {
  const wanted = resource.replace(/\/+$/, '').toLowerCase();
  return FIRST_PARTY_RESOURCES.find((r) => r.resourceUri === wanted || r.appId === wanted)?.resourceUri;
}

/** Groups the object belongs to, directly. */
export function directGroups(tenant: ScenarioTenant, objectId: string) {
  return tenant.groups.filter((g) => g.members.includes(objectId));
}

export function directRoles(tenant: ScenarioTenant, objectId: string) {
  return tenant.directoryRoles.filter((r) => r.members.includes(objectId));
}

/** Group ids the object belongs to, following nested groups. */
export function transitiveGroupIds(tenant: ScenarioTenant, objectId: string): Set<string> {
  const found = new Set<string>();
  const queue = [objectId];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const group of directGroups(tenant, current)) {
      if (!found.has(group.id)) {
        found.add(group.id);
        queue.push(group.id);
      }
    }
  }
  return found;
}

/** The `wids` claim: role template ids of the user's directory roles, plus the default user role. */
export function userWids(tenant: ScenarioTenant, userId: string): string[] {
  return [...directRoles(tenant, userId).map((r) => r.roleTemplateId), DEFAULT_USER_ROLE_TEMPLATE_ID];
}

export interface ParsedScope {
  /** Audience URI, e.g. https://graph.microsoft.com; undefined for OIDC-only scopes. */
  resource?: string;
  /** Permission values (User.Read) or [".default"]. */
  permissions: string[];
  oidc: string[];
}

/**
 * Split a v2 `scope` parameter into OIDC scopes and the one resource it names. Bare names
 * (User.Read) mean Microsoft Graph, as on the real platform. Several resources in one request
 * is an error (AADSTS28000), reported through `resources.length > 1`.
 */
export function parseScopes(scopes: string[]): ParsedScope & { resources: string[] } {
  const oidc: string[] = [];
  const byResource = new Map<string, string[]>();
  for (const raw of scopes) {
    if (OIDC_SCOPES.has(raw)) {
      oidc.push(raw);
      continue;
    }
    const match = /^(https?:\/\/[^/]+|[0-9a-f-]{36}|api:\/\/[^/]+)\/(.+)$/i.exec(raw);
    const resource = match ? (findResourceUri(match[1]!) ?? match[1]!.toLowerCase()) : GRAPH_RESOURCE;
    const permission = match ? match[2]! : raw;
    const list = byResource.get(resource) ?? [];
    list.push(permission);
    byResource.set(resource, list);
  }
  const resources = [...byResource.keys()];
  const first = resources[0];
  return { resource: first, permissions: first ? byResource.get(first)! : [], oidc, resources };
}

/** Delegated permissions the user (or everyone) consented to for client -> resource. */
export function consentedScopes(tenant: ScenarioTenant, clientSpId: string, resourceSpId: string, userId: string): Set<string> {
  const scopes = new Set<string>();
  for (const grant of tenant.oauth2PermissionGrants) {
    if (grant.clientId !== clientSpId || grant.resourceId !== resourceSpId) continue;
    if (grant.consentType === 'Principal' && grant.principalId !== userId) continue;
    for (const s of grant.scope.split(' ')) if (s) scopes.add(s);
  }
  return scopes;
}

/** Application permissions (app role values) granted to the client on the resource. */
export function grantedAppRoles(tenant: ScenarioTenant, clientSpId: string, resource: ScenarioServicePrincipal): string[] {
  return tenant.appRoleAssignments
    .filter((a) => a.principalId === clientSpId && a.resourceId === resource.id)
    .map((a) => resource.appRoles.find((r) => r.id === a.appRoleId)?.value)
    .filter((v): v is string => typeof v === 'string');
}

/** Delegated permissions statically requested by the app for that resource (used by `.default`). */
export function requestedDelegated(app: ScenarioApplication, resource: ScenarioServicePrincipal): string[] {
  const rra = app.requiredResourceAccess.find((r) => r.resourceAppId === resource.appId);
  if (!rra) return [];
  return rra.resourceAccess
    .filter((a) => a.type === 'Scope')
    .map((a) => resource.oauth2PermissionScopes.find((s) => s.id === a.id)?.value)
    .filter((v): v is string => typeof v === 'string');
}
