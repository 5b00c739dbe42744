// Named changes a test (or a person at the admin API) applies to the running scenario, each
// the equivalent of what an administrator would click in the Entra or Partner Center portals
// to fix (or break) the partner's setup.
import { clientSecretValue, newGuid } from '../ids.ts';
import { GLOBAL_ADMIN_ROLE_TEMPLATE_ID, GRAPH_APP_ID, graphRoleId } from '../microsoft-catalog.ts';
import { logEvent, type EmulatorState } from '../state.ts';
import type { CustomerSpec, KeyVaultKeyPermission, PartnerCenterFaults, ScenarioApplication, ScenarioGdap, ScenarioTenant, ScenarioUser } from './types.ts';

interface Target {
  /** Defaults to the scenario's first tenant. */
  tenantId?: string;
}
interface UserTarget extends Target {
  /** Defaults to the tenant's service account (total.one@...). */
  upn?: string;
}
interface AppTarget extends Target {
  /** Defaults to the Total One app. */
  appId?: string;
}

export type PatchOperation =
  | ({ op: 'grantAdminConsent' } & AppTarget)
  | ({ op: 'grantAppPermission'; permission: string } & AppTarget)
  | ({ op: 'revokeAppPermission'; permission: string } & AppTarget)
  | ({ op: 'setMfa'; method: 'totp' | 'approve' | 'none'; secret?: string } & UserTarget)
  | ({ op: 'setConditionalAccess'; requireMfa?: boolean; blockUserSignIn?: boolean } & Target)
  | ({ op: 'setSecurityDefaults'; enabled: boolean } & Target)
  | ({ op: 'addGroupMember' | 'removeGroupMember'; group?: string; upn?: string; appId?: string } & Target)
  | ({ op: 'assignDirectoryRole' | 'removeDirectoryRole'; role?: string } & UserTarget)
  | ({ op: 'changePassword'; password: string } & UserTarget)
  | ({ op: 'setAccountEnabled'; enabled: boolean } & UserTarget)
  | ({ op: 'addClientSecret'; value?: string; displayName?: string; startDateTime?: string; endDateTime?: string } & AppTarget)
  /** endDateTime: expires then; afterTokenRequests: works for that many more token requests, then expires. */
  | ({ op: 'setSecretExpiry'; endDateTime?: string; afterTokenRequests?: number; keyId?: string } & AppTarget)
  | ({ op: 'addRedirectUri'; uri: string } & AppTarget)
  | ({ op: 'addDomain'; name: string } & Target)
  | ({ op: 'setCustomers'; count?: number; seed?: string; customers?: CustomerSpec[] } & Target)
  | ({ op: 'setThrottle'; budget: number; windowSeconds?: number } & Target)
  | ({ op: 'setFaults'; faults: Partial<PartnerCenterFaults> } & Target)
  /** GDAP relationships (graph/gdap.ts): shares to change, or null for none at all. */
  | ({ op: 'setGdap'; gdap: Partial<Omit<ScenarioGdap, 'anchor'>> | null } & Target)
  | ({ op: 'setVaultAccess'; keyPermissions: KeyVaultKeyPermission[]; appId?: string } & Target);

export interface PatchResult {
  op: PatchOperation['op'];
  /** addClientSecret: the new secret (value shown once, like the portal). */
  secret?: { keyId: string; secretText: string; endDateTime: string };
}

export class PatchError extends Error {}

function tenantOf(state: EmulatorState, t: Target): ScenarioTenant {
  const tenant = t.tenantId ? state.scenario.tenants.find((x) => x.id === t.tenantId) : state.scenario.tenants[0];
  if (!tenant) throw new PatchError(`No tenant ${t.tenantId ?? ''} in the running scenario`);
  return tenant;
}

function userOf(tenant: ScenarioTenant, upn?: string): ScenarioUser {
  const wanted = (upn ?? tenant.roles.serviceAccountUpn).toLowerCase();
  const user = tenant.users.find((u) => u.userPrincipalName.toLowerCase() === wanted);
  if (!user) throw new PatchError(`No user ${wanted} in tenant ${tenant.id}`);
  return user;
}

function appOf(tenant: ScenarioTenant, appId?: string): ScenarioApplication {
  const wanted = appId ?? tenant.roles.totalOneAppId;
  const app = tenant.applications.find((a) => a.appId === wanted);
  if (!app) throw new PatchError(`No application ${wanted} in tenant ${tenant.id}`);
  return app;
}

function spIdOf(tenant: ScenarioTenant, appId: string): string {
  const sp = tenant.servicePrincipals.find((s) => s.appId === appId);
  if (!sp) throw new PatchError(`No service principal for ${appId} in tenant ${tenant.id}`);
  return sp.id;
}

/** "Grant admin consent" in the portal: every requested app role and delegated scope. */
function grantAdminConsent(tenant: ScenarioTenant, app: ScenarioApplication, now: Date): void {
  const clientSpId = spIdOf(tenant, app.appId);
  for (const rra of app.requiredResourceAccess) {
    const resource = tenant.servicePrincipals.find((s) => s.appId === rra.resourceAppId);
    if (!resource) continue;
    for (const access of rra.resourceAccess.filter((a) => a.type === 'Role')) {
      const exists = tenant.appRoleAssignments.some((a) => a.principalId === clientSpId && a.resourceId === resource.id && a.appRoleId === access.id);
      if (!exists) tenant.appRoleAssignments.push({ id: newGuid(), appRoleId: access.id, principalId: clientSpId, resourceId: resource.id, createdDateTime: now.toISOString() });
    }
    const scopes = rra.resourceAccess.filter((a) => a.type === 'Scope').map((a) => resource.oauth2PermissionScopes.find((s) => s.id === a.id)?.value).filter((v): v is string => !!v);
    if (scopes.length === 0) continue;
    const grant = tenant.oauth2PermissionGrants.find((g) => g.clientId === clientSpId && g.resourceId === resource.id && g.consentType === 'AllPrincipals');
    if (grant) grant.scope = [...new Set([...grant.scope.split(' ').filter(Boolean), ...scopes])].join(' ');
    else tenant.oauth2PermissionGrants.push({ id: newGuid(), clientId: clientSpId, consentType: 'AllPrincipals', principalId: null, resourceId: resource.id, scope: scopes.join(' ') });
  }
}

function memberIdOf(tenant: ScenarioTenant, op: { upn?: string; appId?: string }): string {
  if (op.appId) return spIdOf(tenant, op.appId);
  return userOf(tenant, op.upn).id;
}

export function applyPatch(state: EmulatorState, op: PatchOperation): PatchResult {
  const tenant = tenantOf(state, op);
  const now = state.now();
  const result: PatchResult = { op: op.op };
  switch (op.op) {
    case 'grantAdminConsent':
      grantAdminConsent(tenant, appOf(tenant, op.appId), now);
      break;
    case 'grantAppPermission': {
      const app = appOf(tenant, op.appId);
      const roleId = graphRoleId(op.permission);
      let rra = app.requiredResourceAccess.find((r) => r.resourceAppId === GRAPH_APP_ID);
      if (!rra) app.requiredResourceAccess.push(rra = { resourceAppId: GRAPH_APP_ID, resourceAccess: [] });
      if (!rra.resourceAccess.some((a) => a.id === roleId)) rra.resourceAccess.push({ id: roleId, type: 'Role' });
      const clientSpId = spIdOf(tenant, app.appId);
      const graphSpId = spIdOf(tenant, GRAPH_APP_ID);
      if (!tenant.appRoleAssignments.some((a) => a.principalId === clientSpId && a.appRoleId === roleId)) {
        tenant.appRoleAssignments.push({ id: newGuid(), appRoleId: roleId, principalId: clientSpId, resourceId: graphSpId, createdDateTime: now.toISOString() });
      }
      break;
    }
    case 'revokeAppPermission': {
      const clientSpId = spIdOf(tenant, appOf(tenant, op.appId).appId);
      const roleId = graphRoleId(op.permission);
      tenant.appRoleAssignments = tenant.appRoleAssignments.filter((a) => !(a.principalId === clientSpId && a.appRoleId === roleId));
      break;
    }
    case 'setMfa': {
      const user = userOf(tenant, op.upn);
      if (op.method === 'none') user.mfa = null;
      else if (op.method === 'approve') user.mfa = { method: 'approve' };
      else {
        const secret = op.secret ?? (user.mfa?.method === 'totp' ? user.mfa.secret : undefined);
        if (!secret) throw new PatchError('setMfa with method totp needs a base32 secret');
        user.mfa = { method: 'totp', secret };
      }
      break;
    }
    case 'setConditionalAccess':
      if (op.requireMfa !== undefined) tenant.conditionalAccess.requireMfa = op.requireMfa;
      if (op.blockUserSignIn !== undefined) tenant.conditionalAccess.blockUserSignIn = op.blockUserSignIn;
      break;
    case 'setSecurityDefaults':
      tenant.securityDefaultsEnabled = op.enabled;
      break;
    case 'addGroupMember':
    case 'removeGroupMember': {
      const name = op.group ?? 'AdminAgents';
      const group = tenant.groups.find((g) => g.displayName === name || g.id === name);
      if (!group) throw new PatchError(`No group ${name}`);
      const memberId = memberIdOf(tenant, op);
      if (op.op === 'addGroupMember') {
        if (!group.members.includes(memberId)) group.members.push(memberId);
      } else {
        group.members = group.members.filter((m) => m !== memberId);
      }
      break;
    }
    case 'assignDirectoryRole':
    case 'removeDirectoryRole': {
      const wanted = op.role ?? GLOBAL_ADMIN_ROLE_TEMPLATE_ID;
      const role = tenant.directoryRoles.find((r) => r.roleTemplateId === wanted || r.displayName === wanted || r.id === wanted);
      if (!role) throw new PatchError(`No directory role ${wanted}`);
      const user = userOf(tenant, op.upn);
      if (op.op === 'assignDirectoryRole') {
        if (!role.members.includes(user.id)) role.members.push(user.id);
      } else {
        role.members = role.members.filter((m) => m !== user.id);
      }
      break;
    }
    case 'changePassword': {
      const user = userOf(tenant, op.upn);
      user.password = op.password;
      user.passwordChangedAt = now.toISOString();
      break;
    }
    case 'setAccountEnabled':
      userOf(tenant, op.upn).accountEnabled = op.enabled;
      break;
    case 'addClientSecret': {
      const app = appOf(tenant, op.appId);
      const start = op.startDateTime ?? now.toISOString();
      const end = op.endDateTime ?? new Date(now.getTime() + 730 * 86_400_000).toISOString();
      const credential = { keyId: newGuid(), displayName: op.displayName ?? 'Added by test', secretText: op.value ?? clientSecretValue(), startDateTime: start, endDateTime: end };
      app.passwordCredentials.push(credential);
      result.secret = { keyId: credential.keyId, secretText: credential.secretText, endDateTime: end };
      break;
    }
    case 'setSecretExpiry': {
      const app = appOf(tenant, op.appId);
      if (op.endDateTime === undefined && op.afterTokenRequests === undefined) throw new PatchError('setSecretExpiry needs endDateTime or afterTokenRequests');
      for (const c of app.passwordCredentials) {
        if (op.keyId && c.keyId !== op.keyId) continue;
        if (op.endDateTime !== undefined) c.endDateTime = new Date(op.endDateTime).toISOString();
        if (op.afterTokenRequests !== undefined) c.remainingTokenRequests = op.afterTokenRequests;
      }
      break;
    }
    case 'addDomain': {
      // Entra admin center > Domain names > Add custom domain, then verified through DNS.
      const name = op.name.toLowerCase();
      if (!tenant.domains.some((d) => d.toLowerCase() === name)) tenant.domains.push(name);
      break;
    }
    case 'addRedirectUri': {
      const app = appOf(tenant, op.appId);
      const list = app.isPublicClient ? app.publicClientRedirectUris : app.webRedirectUris;
      if (!list.includes(op.uri)) list.push(op.uri);
      break;
    }
    case 'setCustomers':
      if (op.customers) tenant.partnerCenter.customers = { kind: 'list', customers: op.customers };
      else tenant.partnerCenter.customers = { kind: 'generated', count: op.count ?? 0, seed: op.seed ?? (tenant.partnerCenter.customers.kind === 'generated' ? tenant.partnerCenter.customers.seed : tenant.id) };
      break;
    case 'setThrottle':
      tenant.partnerCenter.throttle = { budget: op.budget, windowSeconds: op.windowSeconds ?? tenant.partnerCenter.throttle.windowSeconds };
      state.throttleWindows.delete(tenant.id);
      break;
    case 'setGdap':
      if (op.gdap === null) delete tenant.gdap;
      else {
        const group = tenant.groups.find((g) => g.displayName === 'TotalOne GDAP Admins') ?? tenant.groups.find((g) => g.id === tenant.roles.adminAgentsGroupId)!;
        const base = tenant.gdap ?? { accessGroupId: group.id, anchor: state.now().toISOString(), withoutActivePercent: 0, expiringPercent: 0, autoExtendPercent: 0, unassignedPercent: 0, microsoftLed: false };
        tenant.gdap = { ...base, ...op.gdap };
      }
      break;
    case 'setFaults':
      tenant.partnerCenter.faults = { ...tenant.partnerCenter.faults, ...op.faults };
      state.faultCounters = { requests: 0, failedPages: new Set() };
      break;
    case 'setVaultAccess': {
      const vault = state.scenario.keyVault;
      if (!vault) throw new PatchError('The running scenario has no Key Vault (start the emulator with keyVault: true)');
      const appId = op.appId ?? vault.accessPolicies[0]?.appId;
      if (!appId) throw new PatchError('setVaultAccess needs an appId');
      const policy = vault.accessPolicies.find((p) => p.appId === appId);
      if (policy) policy.keyPermissions = [...op.keyPermissions];
      else vault.accessPolicies.push({ appId, keyPermissions: [...op.keyPermissions] });
      break;
    }
    default: {
      const unknown: never = op;
      throw new PatchError(`Unknown patch operation ${JSON.stringify(unknown)}`);
    }
  }
  // Secrets never go to the event log; the operation name and its target do.
  const logged: Record<string, unknown> = { ...op };
  delete logged.password;
  delete logged.value;
  delete logged.secret;
  logEvent(state, 'scenario.patched', logged, tenant.id);
  return result;
}
