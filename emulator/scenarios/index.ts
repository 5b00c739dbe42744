// Built-in scenarios. Each is `ready` plus a small, readable change that reproduces one way a
// partner's setup goes wrong (the checklist of guide steps 2.3-2.34), or one load pattern.
import { GLOBAL_ADMIN_ROLE_TEMPLATE_ID, graphRoleId } from '../microsoft-catalog.ts';
import { buildReadyTenant, type TenantOptions } from './ready.ts';
import { gdapScenarios } from './gdap.ts';
import { buildSetupApp, setupScenarios } from './setup.ts';
import type { Scenario, ScenarioTenant, ScenarioUser } from './types.ts';

export type { TenantOptions } from './ready.ts';
export { buildReadyTenant } from './ready.ts';

const DAY = 86_400_000;
/**
 * Token requests the Partner Center web app's secret serves in secret-expires-during-sync: as
 * measured for TotalOne's connect (the wizard's client-credentials check of the web app, the code
 * redemption, the Partner Center and Graph renewals of the checks), so the customer import's first
 * renewal is the one refused. Tests wanting another moment patch setSecretExpiry { afterTokenRequests }.
 */
export const SECRET_TOKEN_REQUESTS = 4;

interface BuiltInScenario {
  name: string;
  description: string;
  change: (tenant: ScenarioTenant, now: Date) => void;
}

export function serviceAccount(tenant: ScenarioTenant): ScenarioUser {
  const user = tenant.users.find((u) => u.userPrincipalName === tenant.roles.serviceAccountUpn);
  if (!user) throw new Error(`Scenario tenant ${tenant.id} has no service account`);
  return user;
}

function totalOneApp(tenant: ScenarioTenant) {
  const app = tenant.applications.find((a) => a.appId === tenant.roles.totalOneAppId);
  if (!app) throw new Error(`Scenario tenant ${tenant.id} has no Total One app`);
  return app;
}

function partnerCenterWebApp(tenant: ScenarioTenant) {
  const app = tenant.applications.find((a) => a.appId === tenant.partnerCenter.webAppId);
  if (!app) throw new Error(`Scenario tenant ${tenant.id} has no Partner Center web app`);
  return app;
}

function totalOneSpId(tenant: ScenarioTenant): string {
  const sp = tenant.servicePrincipals.find((s) => s.appId === tenant.roles.totalOneAppId);
  if (!sp) throw new Error(`Scenario tenant ${tenant.id} has no Total One service principal`);
  return sp.id;
}

const builtIns: BuiltInScenario[] = [
  { name: 'ready', description: 'Everything set up as the partner guide prescribes, the reply address (a parameter) on the Partner Center web app; 250 customers.', change: () => {} },
  {
    name: 'reply-address-missing',
    description: 'As ready, but the Partner Center web app has no Web redirect URI: Entra shows AADSTS50011 on its own page and never returns to the product.',
    change: (t) => {
      partnerCenterWebApp(t).webRedirectUris = [];
    },
  },
  {
    name: 'no-mfa',
    description: 'The service account has no MFA method and no policy demands one: a sign-in asking for MFA (amr_values=mfa) ends in AADSTS50079; one that does not gets tokens without "mfa" in amr, which Partner Center answers with 900421.',
    change: (t) => {
      serviceAccount(t).mfa = null;
      t.conditionalAccess.requireMfa = false;
    },
  },
  {
    name: 'not-global-admin',
    description: 'The service account is not a member of the Global Administrator directory role (guide step 2.3).',
    change: (t) => {
      const ga = t.directoryRoles.find((r) => r.roleTemplateId === GLOBAL_ADMIN_ROLE_TEMPLATE_ID)!;
      ga.members = ga.members.filter((m) => m !== serviceAccount(t).id);
      serviceAccount(t).partnerCenterRoles = ['Admin Agent', 'Incentive Administrator'];
    },
  },
  {
    name: 'not-admin-agent',
    description: 'The service account is not in the AdminAgents group (guide steps 2.7-2.8): Partner Center refuses it.',
    change: (t) => {
      const group = t.groups.find((g) => g.id === t.roles.adminAgentsGroupId)!;
      group.members = group.members.filter((m) => m !== serviceAccount(t).id);
      serviceAccount(t).partnerCenterRoles = ['Global Admin', 'Incentive Administrator'];
    },
  },
  {
    name: 'pc-role-missing',
    description: 'The service account holds no Partner Center agent role (only Incentive Administrator), so it is in neither AdminAgents nor SalesAgents: Partner Center answers 403 (900150) to its App+User calls.',
    change: (t) => {
      const agentGroups = t.groups.filter((g) => g.displayName === 'AdminAgents' || g.displayName === 'SalesAgents');
      for (const group of agentGroups) group.members = group.members.filter((m) => m !== serviceAccount(t).id);
      serviceAccount(t).partnerCenterRoles = ['Incentive Administrator'];
    },
  },
  {
    name: 'missing-graph-permission',
    description: 'The Total One app lacks RoleManagement.ReadWrite.Directory (guide step 2.26): neither requested nor granted.',
    change: (t) => {
      const roleId = graphRoleId('RoleManagement.ReadWrite.Directory');
      for (const rra of totalOneApp(t).requiredResourceAccess) rra.resourceAccess = rra.resourceAccess.filter((a) => a.id !== roleId);
      t.appRoleAssignments = t.appRoleAssignments.filter((a) => a.appRoleId !== roleId);
    },
  },
  {
    name: 'no-admin-consent',
    description: 'The Total One app requests the right permissions but admin consent was never granted (guide step 2.29).',
    change: (t) => {
      const spId = totalOneSpId(t);
      t.appRoleAssignments = t.appRoleAssignments.filter((a) => a.principalId !== spId);
      t.oauth2PermissionGrants = t.oauth2PermissionGrants.filter((g) => g.clientId !== spId);
    },
  },
  {
    name: 'app-not-in-adminagents',
    description: 'The Total One app\'s service principal is not a member of AdminAgents (guide steps 2.30-2.34).',
    change: (t) => {
      const group = t.groups.find((g) => g.id === t.roles.adminAgentsGroupId)!;
      group.members = group.members.filter((m) => m !== totalOneSpId(t));
    },
  },
  {
    name: 'expired-secret',
    description: 'The Total One app\'s only client secret expired 10 days ago: token requests fail with AADSTS7000222.',
    change: (t, now) => {
      for (const c of totalOneApp(t).passwordCredentials) {
        c.startDateTime = new Date(now.getTime() - 740 * DAY).toISOString();
        c.endDateTime = new Date(now.getTime() - 10 * DAY).toISOString();
      }
    },
  },
  {
    name: 'secret-expiring-soon',
    description: 'The Total One app\'s client secret works but expires in 14 days.',
    change: (t, now) => {
      for (const c of totalOneApp(t).passwordCredentials) {
        c.startDateTime = new Date(now.getTime() - 716 * DAY).toISOString();
        c.endDateTime = new Date(now.getTime() + 14 * DAY).toISOString();
      }
    },
  },
  {
    name: 'secret-expires-during-sync',
    description: `The Partner Center web app's secret works for ${SECRET_TOKEN_REQUESTS} token requests (TotalOne's connect uses that many), then expires: the customer import's token renewal fails with AADSTS7000222.`,
    change: (t) => {
      for (const c of partnerCenterWebApp(t).passwordCredentials) c.remainingTokenRequests = SECRET_TOKEN_REQUESTS;
    },
  },
  {
    name: 'mfa-not-enforced',
    description: 'The service account has an MFA method (TOTP) but no Conditional Access policy or security defaults demand MFA: Entra prompts only when the sign-in asks for it (amr_values=mfa).',
    change: (t) => {
      t.conditionalAccess.requireMfa = false;
    },
  },
  {
    name: 'ca-blocked',
    description: 'A Conditional Access policy blocks the users\' sign-ins (AADSTS53003) at the sign-in page and on refresh.',
    change: (t) => {
      t.conditionalAccess.blockUserSignIn = true;
    },
  },
  {
    name: 'large-partner',
    description: 'A partner with 100,000 customers (generated lazily).',
    change: (t) => {
      if (t.partnerCenter.customers.kind === 'generated') t.partnerCenter.customers.count = 100_000;
    },
  },
  {
    name: 'throttled',
    description: 'Partner Center allows 3 requests per 2-second window for this partner, so clients meet 429 + Retry-After quickly.',
    change: (t) => {
      t.partnerCenter.throttle = { budget: 3, windowSeconds: 2 };
    },
  },
  {
    name: 'flaky-partner-center',
    description: 'Partner Center answers the first 2 requests with 503, page 1 of the customer list fails once, every call takes 20 ms longer.',
    change: (t) => {
      t.partnerCenter.faults = { unavailableRequests: 2, latencyMs: 20, failPagesOnce: [1] };
    },
  },
  ...gdapScenarios,
  ...setupScenarios,
];

/** Earlier names of built-in scenarios, still accepted by buildScenario. */
const ALIASES: Record<string, string> = { 'blocked-by-conditional-access': 'ca-blocked' };

export interface ScenarioSummary {
  name: string;
  description: string;
}

export function listScenarios(): ScenarioSummary[] {
  return builtIns.map(({ name, description }) => ({ name, description }));
}

/**
 * Build a built-in scenario; dates (secret expiry, password change) are relative to `now`.
 * `tenantOptions.replyAddress` is the scenario's one parameter: the reply address the partner
 * registered on the Partner Center web app (ready and its variants register it, reply-address-missing
 * does not).
 */
export function buildScenario(name: string, now: Date, tenantOptions: Partial<TenantOptions> = {}): Scenario {
  const builtIn = builtIns.find((s) => s.name === (ALIASES[name] ?? name));
  if (!builtIn) throw new Error(`Unknown scenario "${name}". Built-in scenarios: ${builtIns.map((s) => s.name).join(', ')}`);
  const tenant = buildReadyTenant({ ...tenantOptions, now });
  builtIn.change(tenant, now);
  return { name: builtIn.name, description: builtIn.description, tenants: [tenant], publisherApps: [buildSetupApp(now, tenantOptions.replyAddress)] };
}

/** A tenant of a built-in scenario, for composing multi-partner worlds in tests. */
export function buildScenarioTenant(name: string, options: TenantOptions): ScenarioTenant {
  return buildScenario(name, options.now, options).tenants[0]!;
}
