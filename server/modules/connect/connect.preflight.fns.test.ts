import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  GDAP_READ_PERMISSION, GLOBAL_ADMIN_ROLE_TEMPLATE_ID, GRAPH_APPLICATION_PERMISSIONS, USER_READ_SCOPE_ID, allRequiredPassed, evaluatePreflight,
  type AppRegistrationFacts, type Known, type PreflightCheck, type PreflightCheckId, type PreflightFacts,
} from './connect.preflight.fns.ts';

const now = new Date('2026-11-25T12:00:00.000Z');
const DAY = 86_400_000;
const inDays = (days: number) => new Date(now.getTime() + days * DAY).toISOString();
const ADMIN_AGENTS = 'aa000000-0000-4000-8000-000000000001';
const ROLE_IDS = GRAPH_APPLICATION_PERMISSIONS.map((p) => p.id);
const byName = (name: string) => GRAPH_APPLICATION_PERMISSIONS.find((p) => p.name === name)!.id;

const ok = <T>(value: T): Known<T> => ({ known: true, value });
const no = (reason = 'Microsoft Graph did not answer.'): Known<never> => ({ known: false, reason });

function app(overrides: Partial<AppRegistrationFacts> = {}): AppRegistrationFacts {
  return {
    appId: 'app-id',
    displayName: 'Total One App',
    passwordCredentials: [{ keyId: 'k1', displayName: 'TotalOne', hint: 'abc', endDateTime: inDays(700) }],
    requestedGraphRoleIds: [...ROLE_IDS, GDAP_READ_PERMISSION.id],
    requestedGraphScopeIds: [USER_READ_SCOPE_ID],
    ...overrides,
  };
}

function facts(overrides: Partial<PreflightFacts> = {}): PreflightFacts {
  return {
    serviceAccount: { objectId: 'user-1', upn: 'total.one@contoso.onmicrosoft.com' },
    serviceAccountMemberships: ok({ roleTemplateIds: [GLOBAL_ADMIN_ROLE_TEMPLATE_ID], groupIds: [ADMIN_AGENTS] }),
    signInMethods: ['pwd', 'mfa'],
    adminAgentsGroup: ok({ id: ADMIN_AGENTS }),
    entraApp: ok(app()),
    entraAppServicePrincipal: ok({ id: 'sp-1', displayName: 'Total One App' }),
    grantedGraphRoleIds: ok([...ROLE_IDS, GDAP_READ_PERMISSION.id]),
    consentedGraphScopes: ok(['User.Read']),
    appInAdminAgents: ok(true),
    entraSecret: { hint: 'abc' },
    partnerCenterApp: ok(app({ appId: 'pc-id', displayName: 'PC Web App', passwordCredentials: [{ keyId: 'k2', displayName: null, hint: 'xyz', endDateTime: inDays(400) }] })),
    partnerCenterSecret: { hint: 'xyz' },
    partnerCenter: { outcome: 'answered', customersOnFirstPage: 1 },
    ...overrides,
  };
}

function find(checks: PreflightCheck[], id: PreflightCheckId): PreflightCheck {
  const found = checks.find((c) => c.id === id);
  assert.ok(found, `check ${id} is present`);
  return found;
}

function only(overrides: Partial<PreflightFacts>, id: PreflightCheckId): PreflightCheck {
  return find(evaluatePreflight(facts(overrides), now), id);
}

describe('evaluatePreflight: the ready setup', () => {
  it('passes every required check, keeps ids stable and leaves Incentives Administrator unknown but optional', () => {
    const checks = evaluatePreflight(facts(), now);
    assert.deepEqual(checks.map((c) => c.id), [
      'service_account_global_admin', 'service_account_in_admin_agents', 'service_account_partner_center_roles', 'mfa_performed',
      'graph_application_permissions', 'gdap_permission', 'delegated_user_read_consented', 'app_in_admin_agents', 'entra_secret', 'partner_center_secret', 'partner_center_api',
    ]);
    const optional = ['service_account_partner_center_roles', 'gdap_permission', 'app_in_admin_agents'];
    for (const c of checks) {
      if (c.id === 'service_account_partner_center_roles') continue;
      assert.equal(c.status, 'passed', `${c.id}: ${c.found}`);
      assert.equal(c.required, !optional.includes(c.id), c.id);
      assert.equal(c.fix, undefined);
      assert.ok(c.title.length > 0 && c.found.length > 0);
    }
    const roles = find(checks, 'service_account_partner_center_roles');
    assert.equal(roles.status, 'unknown');
    assert.equal(roles.required, false);
    assert.match(roles.found, /Admin Agent: confirmed/);
    assert.match(roles.fix!, /Partner Center .*Account settings > User management.*Incentive administrator/);
    assert.equal(allRequiredPassed(checks), true);
  });
});

describe('evaluatePreflight: service account', () => {
  it('Global Administrator: failed without the role template, with the admin center path', () => {
    const c = only({ serviceAccountMemberships: ok({ roleTemplateIds: ['other-role'], groupIds: [ADMIN_AGENTS] }) }, 'service_account_global_admin');
    assert.equal(c.status, 'failed');
    assert.match(c.found, /not an active Global Administrator/);
    assert.match(c.fix!, /Microsoft 365 admin center .*Active users.*Global Administrator/);
  });

  it('Global Administrator: falls back to the sign-in token\u2019s wids when Graph cannot be read, else unknown', () => {
    assert.equal(only({ serviceAccountMemberships: no(), signInRoleTemplateIds: [GLOBAL_ADMIN_ROLE_TEMPLATE_ID] }, 'service_account_global_admin').status, 'passed');
    const stale = only({ serviceAccountMemberships: no(), signInRoleTemplateIds: ['b79fbf4d-3ef9-4689-8143-76b194e85509'] }, 'service_account_global_admin');
    assert.equal(stale.status, 'failed');
    assert.match(stale.found, /sign in again/);
    const unknown = only({ serviceAccountMemberships: no('Graph is down.') }, 'service_account_global_admin');
    assert.equal(unknown.status, 'unknown');
    assert.match(unknown.found, /Graph is down/);
    assert.ok(unknown.fix);
  });

  it('AdminAgents membership: passed, failed, no group, unknown group, unknown memberships', () => {
    assert.equal(only({}, 'service_account_in_admin_agents').status, 'passed');
    const notMember = only({ serviceAccountMemberships: ok({ roleTemplateIds: [GLOBAL_ADMIN_ROLE_TEMPLATE_ID], groupIds: [] }) }, 'service_account_in_admin_agents');
    assert.equal(notMember.status, 'failed');
    assert.match(notMember.fix!, /Admin agent/);
    assert.match(notMember.fix!, /AdminAgents > Members > Add members/);
    const noGroup = only({ adminAgentsGroup: ok(null) }, 'service_account_in_admin_agents');
    assert.equal(noGroup.status, 'failed');
    assert.match(noGroup.fix!, /Cloud Solution Provider/);
    assert.equal(only({ adminAgentsGroup: no() }, 'service_account_in_admin_agents').status, 'unknown');
    assert.equal(only({ serviceAccountMemberships: no() }, 'service_account_in_admin_agents').status, 'unknown');
  });

  it('Partner Center roles: optional; failed on 403, unknown when Partner Center does not answer', () => {
    const refused = only({ partnerCenter: { outcome: 'refused', status: 403, code: 403, message: 'no role' } }, 'service_account_partner_center_roles');
    assert.equal(refused.status, 'failed');
    assert.equal(refused.required, false);
    assert.match(refused.fix!, /tick "Admin agent" and "Incentive administrator"/);
    // One instruction, not the AdminAgents group paragraph and the incentives paragraph one after the other.
    assert.doesNotMatch(refused.fix!, /AdminAgents > Members/);
    assert.equal(refused.fix!.match(/Account settings > User management/g)?.length, 1);
    const mfa = only({ partnerCenter: { outcome: 'refused', status: 401, code: 900421, message: '' } }, 'service_account_partner_center_roles');
    assert.equal(mfa.status, 'unknown');
    assert.equal(only({ partnerCenter: { outcome: 'unavailable', reason: 'Partner Center did not answer.' } }, 'service_account_partner_center_roles').status, 'unknown');
  });

  it('MFA: passed with mfa in amr, failed otherwise with where to enforce it', () => {
    assert.equal(only({ signInMethods: ['pwd', 'mfa'] }, 'mfa_performed').status, 'passed');
    const pwd = only({ signInMethods: ['pwd'] }, 'mfa_performed');
    assert.equal(pwd.status, 'failed');
    assert.match(pwd.found, /only: pwd/);
    assert.match(pwd.fix!, /Conditional Access/);
    assert.match(only({ signInMethods: [] }, 'mfa_performed').found, /none reported/);
  });
});

describe('evaluatePreflight: the Entra app', () => {
  it('Graph permissions: names the missing one as not requested', () => {
    const roleMgmt = byName('RoleManagement.ReadWrite.Directory');
    const c = only({
      entraApp: ok(app({ requestedGraphRoleIds: ROLE_IDS.filter((id) => id !== roleMgmt) })),
      grantedGraphRoleIds: ok(ROLE_IDS.filter((id) => id !== roleMgmt)),
    }, 'graph_application_permissions');
    assert.equal(c.status, 'failed');
    assert.match(c.found, /Missing: RoleManagement\.ReadWrite\.Directory \(not requested\)/);
    assert.match(c.found, /Granted: Directory\.ReadWrite\.All, Group\.ReadWrite\.All, User\.ReadWrite\.All/);
    assert.match(c.fix!, /API permissions > Add a permission > Microsoft Graph > Application permissions, add RoleManagement\.ReadWrite\.Directory/);
    assert.match(c.fix!, /Grant admin consent/);
  });

  it('Graph permissions: requested but not consented -> only the consent button', () => {
    const c = only({ grantedGraphRoleIds: ok([]) }, 'graph_application_permissions');
    assert.equal(c.status, 'failed');
    assert.equal((c.found.match(/requested, admin consent not granted/g) ?? []).length, 4);
    assert.match(c.fix!, /press "Grant admin consent/);
    assert.doesNotMatch(c.fix!, /Add a permission/);
  });

  it('Graph permissions: a granted role that is not one of the four does not count', () => {
    const c = only({ grantedGraphRoleIds: ok(['some-other-role', ...ROLE_IDS.slice(1)]) }, 'graph_application_permissions');
    assert.equal(c.status, 'failed');
    assert.match(c.found, /Missing: Directory\.ReadWrite\.All \(requested/);
  });

  it('Graph permissions: falls back to the token\u2019s roles when the grants cannot be read', () => {
    const passed = only({ grantedGraphRoleIds: no(), graphTokenRoles: GRAPH_APPLICATION_PERMISSIONS.map((p) => p.name) }, 'graph_application_permissions');
    assert.equal(passed.status, 'passed');
    assert.match(passed.found, /access token/);
    const failed = only({ grantedGraphRoleIds: no(), entraApp: no(), graphTokenRoles: [] }, 'graph_application_permissions');
    assert.equal(failed.status, 'failed');
    assert.match(failed.found, /Missing: Directory\.ReadWrite\.All, Group/);
    assert.match(failed.fix!, /Add a permission/);
    assert.equal(only({ grantedGraphRoleIds: no() }, 'graph_application_permissions').status, 'unknown');
  });

  it('no service principal: permissions, consent and group checks fail with the consent fix', () => {
    const checks = evaluatePreflight(facts({ entraAppServicePrincipal: ok(null) }), now);
    for (const id of ['graph_application_permissions', 'delegated_user_read_consented'] as const) {
      const c = find(checks, id);
      assert.equal(c.status, 'failed', id);
      assert.match(c.fix!, /Grant admin consent/, id);
    }
    assert.equal(find(checks, 'gdap_permission').status, 'warning');
    assert.equal(find(checks, 'app_in_admin_agents').status, 'warning');
    assert.equal(allRequiredPassed(checks), false);
  });

  it('delegated User.Read: passed, requested-not-consented, not requested, unknown', () => {
    assert.equal(only({ consentedGraphScopes: ok(['openid', 'user.read']) }, 'delegated_user_read_consented').status, 'passed');
    const notConsented = only({ consentedGraphScopes: ok([]) }, 'delegated_user_read_consented');
    assert.equal(notConsented.status, 'failed');
    assert.match(notConsented.found, /requested but has no admin consent/);
    assert.match(notConsented.fix!, /Grant admin consent/);
    const notRequested = only({ consentedGraphScopes: ok([]), entraApp: ok(app({ requestedGraphScopeIds: [] })) }, 'delegated_user_read_consented');
    assert.match(notRequested.found, /neither requested nor consented/);
    assert.match(notRequested.fix!, /Delegated permissions, add User\.Read/);
    assert.equal(only({ consentedGraphScopes: no() }, 'delegated_user_read_consented').status, 'unknown');
  });

  it('app in AdminAgents is a legacy check: never required, a warning that says it grants nothing under GDAP', () => {
    assert.equal(only({}, 'app_in_admin_agents').status, 'passed');
    const c = only({ appInAdminAgents: ok(false) }, 'app_in_admin_agents');
    assert.equal(c.status, 'warning');
    assert.equal(c.required, false);
    assert.match(c.found, /Under GDAP this membership grants nothing in your customers\u2019 tenants/);
    assert.match(c.fix!, /^Nothing is required\. .*Groups > All groups > AdminAgents > Members > Add members, search for "Total One App"/);
    assert.match(only({ adminAgentsGroup: ok(null) }, 'app_in_admin_agents').fix!, /Cloud Solution Provider/);
    assert.equal(only({ appInAdminAgents: no() }, 'app_in_admin_agents').status, 'unknown');
    assert.equal(allRequiredPassed(evaluatePreflight(facts({ appInAdminAgents: ok(false) }), now)), true, 'it never blocks');
  });

  it('GDAP permission: recommended, a warning with the fix when absent, never blocking', () => {
    assert.equal(only({}, 'gdap_permission').status, 'passed');
    const absent = facts({ grantedGraphRoleIds: ok([...ROLE_IDS]), entraApp: ok(app({ requestedGraphRoleIds: [...ROLE_IDS] })) });
    const c = find(evaluatePreflight(absent, now), 'gdap_permission');
    assert.equal(c.status, 'warning');
    assert.equal(c.required, false);
    assert.match(c.found, /not granted.*imported all the same/);
    assert.match(c.fix!, /Application permissions, add DelegatedAdminRelationship\.Read\.All, then press "Grant admin consent/);
    assert.equal(allRequiredPassed(evaluatePreflight(absent, now)), true);
    const requested = only({ grantedGraphRoleIds: ok([...ROLE_IDS]) }, 'gdap_permission');
    assert.match(requested.found, /requested but has no admin consent/);
    assert.match(requested.fix!, /Grant admin consent/);
    assert.equal(only({ grantedGraphRoleIds: no(), graphTokenRoles: [GDAP_READ_PERMISSION.name] }, 'gdap_permission').status, 'passed');
    assert.equal(only({ grantedGraphRoleIds: no() }, 'gdap_permission').status, 'unknown');
  });
});

describe('evaluatePreflight: secrets', () => {
  const withEntraSecretEnding = (endDateTime: string | null, hint = 'abc') =>
    only({ entraApp: ok(app({ passwordCredentials: [{ keyId: 'k1', displayName: 'x', hint, endDateTime }] })) }, 'entra_secret');

  it('passed more than 30 days ahead, warning within 30 days, failed once past', () => {
    assert.equal(withEntraSecretEnding(inDays(31)).status, 'passed');
    const soon = withEntraSecretEnding(inDays(14));
    assert.equal(soon.status, 'warning');
    assert.match(soon.found, /in 14 day/);
    assert.match(soon.fix!, /Certificates & secrets > New client secret/);
    assert.equal(withEntraSecretEnding(inDays(30)).status, 'warning', 'exactly 30 days is not more than 30');
    const expired = withEntraSecretEnding(inDays(-10));
    assert.equal(expired.status, 'failed');
    assert.match(expired.found, /expired on/);
    assert.equal(withEntraSecretEnding(now.toISOString()).status, 'failed', 'expiring this instant counts as expired');
    assert.equal(withEntraSecretEnding(null).status, 'passed');
  });

  it('a warning still lets the partner continue; failed and unknown do not', () => {
    const checks = evaluatePreflight(facts({ entraApp: ok(app({ passwordCredentials: [{ keyId: 'k1', displayName: 'x', hint: 'abc', endDateTime: inDays(3) }] })) }), now);
    assert.equal(allRequiredPassed(checks), true);
  });

  it('not found by hint, too short a hint, and an unknown app registration', () => {
    const missing = withEntraSecretEnding(inDays(300), 'zzz');
    assert.equal(missing.status, 'failed');
    assert.match(missing.found, /not one of the 1 client secret/);
    assert.match(missing.fix!, /New client secret/);
    assert.equal(only({ entraSecret: { hint: 'ab' }, entraApp: ok(app({ passwordCredentials: [{ keyId: 'k', displayName: null, hint: 'ab', endDateTime: null }] })) }, 'entra_secret').status, 'failed');
    const noApp = only({ entraApp: ok(null) }, 'entra_secret');
    assert.equal(noApp.status, 'failed');
    assert.match(noApp.fix!, /Application \(client\) ID/);
    assert.equal(only({ entraApp: no() }, 'entra_secret').status, 'unknown');
  });

  it('several secrets with the same first characters: judged by the one ending first, and says so', () => {
    const c = only({ entraApp: ok(app({ passwordCredentials: [
      { keyId: 'k1', displayName: 'old', hint: 'abc', endDateTime: inDays(-5) },
      { keyId: 'k2', displayName: 'new', hint: 'abc', endDateTime: inDays(700) },
      { keyId: 'k3', displayName: 'other', hint: 'qqq', endDateTime: inDays(-100) },
    ] })) }, 'entra_secret');
    assert.equal(c.status, 'failed');
    assert.match(c.found, /2 secrets of this app begin like the one you entered/);
  });

  it('Microsoft refusing the secret decides the Entra secret check', () => {
    const expired = only({ entraSecret: { hint: 'abc', refusal: { aadsts: 7000222, message: 'expired' } } }, 'entra_secret');
    assert.equal(expired.status, 'failed');
    assert.match(expired.found, /AADSTS7000222/);
    const wrong = only({ entraSecret: { hint: 'abc', refusal: { aadsts: 7000215, message: 'invalid' } } }, 'entra_secret');
    assert.match(wrong.found, /secret\u2019s ID was copied/);
    const other = only({ entraSecret: { hint: 'abc', refusal: { message: 'The app is disabled.' } } }, 'entra_secret');
    assert.match(other.found, /The app is disabled/);
  });

  it('Partner Center secret: the same rules, with the Partner Center path', () => {
    const pcApp = (endDateTime: string) => ok(app({ displayName: 'PC', passwordCredentials: [{ keyId: 'k', displayName: null, hint: 'xyz', endDateTime }] }));
    assert.equal(only({ partnerCenterApp: pcApp(inDays(200)) }, 'partner_center_secret').status, 'passed');
    const soon = only({ partnerCenterApp: pcApp(inDays(10)) }, 'partner_center_secret');
    assert.equal(soon.status, 'warning');
    assert.match(soon.fix!, /Partner Center > gear icon > Account settings > App management > Web app > Add key/);
    assert.equal(only({ partnerCenterApp: pcApp(inDays(-1)) }, 'partner_center_secret').status, 'failed');
    assert.equal(only({ partnerCenterSecret: { hint: 'nop' } }, 'partner_center_secret').status, 'failed');
    assert.equal(only({ partnerCenterApp: no() }, 'partner_center_secret').status, 'unknown');
  });
});

describe('evaluatePreflight: Partner Center', () => {
  it('answers, refuses for MFA / role / sign-in / other, or does not answer', () => {
    assert.equal(only({}, 'partner_center_api').status, 'passed');
    const mfa = only({ partnerCenter: { outcome: 'refused', status: 401, code: 900421, message: '' } }, 'partner_center_api');
    assert.equal(mfa.status, 'failed');
    assert.match(mfa.found, /900421/);
    assert.match(mfa.fix!, /Conditional Access/);
    const role = only({ partnerCenter: { outcome: 'refused', status: 403, code: 403, message: '' } }, 'partner_center_api');
    assert.match(role.fix!, /Admin agent/);
    assert.match(only({ partnerCenter: { outcome: 'refused', status: 401, code: 401, message: '' } }, 'partner_center_api').fix!, /Sign in again/);
    const other = only({ partnerCenter: { outcome: 'refused', status: 400, code: 400, message: 'Bad size' } }, 'partner_center_api');
    assert.equal(other.status, 'failed');
    assert.match(other.found, /Bad size/);
    const down = only({ partnerCenter: { outcome: 'unavailable', reason: 'Partner Center did not answer.' } }, 'partner_center_api');
    assert.equal(down.status, 'unknown');
    assert.match(down.fix!, /run the checks again/);
  });
});

describe('evaluatePreflight: unknown checks say how to make them checkable', () => {
  it('a Graph permission refusal points at admin consent; no Graph token at the secret; no answer at retrying', () => {
    const denied: Known<never> = { known: false, reason: 'refused (Authorization_RequestDenied)', cause: 'graph_permission' };
    const secret = only({ entraApp: denied }, 'entra_secret');
    assert.equal(secret.status, 'unknown');
    assert.match(secret.found, /^Could not be checked: refused/);
    assert.match(secret.fix!, /Grant admin consent/);
    assert.doesNotMatch(secret.fix!, /New client secret/);
    const noToken = only({ appInAdminAgents: { known: false, reason: 'no token', cause: 'no_graph_token' } }, 'app_in_admin_agents');
    assert.match(noToken.fix!, /First fix the Entra app secret/);
    const down = only({ consentedGraphScopes: { known: false, reason: 'Microsoft Graph did not answer.', cause: 'unavailable' } }, 'delegated_user_read_consented');
    assert.match(down.fix!, /run the checks again in a minute/);
    const plain = only({ serviceAccountMemberships: no('odd answer') }, 'service_account_global_admin');
    assert.match(plain.fix!, /Manage roles/, 'without a cause: the check\u2019s own fix');
  });
});

describe('evaluatePreflight: no current sign-in of the service account', () => {
  it('Partner Center fails with "sign in again", MFA and the roles become unknown', () => {
    const checks = evaluatePreflight(facts({ signInMethods: undefined, partnerCenter: { outcome: 'no_token', aadsts: 50173, message: 'The grant was revoked.' } }), now);
    const pc = find(checks, 'partner_center_api');
    assert.equal(pc.status, 'failed');
    assert.match(pc.found, /AADSTS50173/);
    assert.match(pc.fix!, /Sign in again/);
    assert.equal(find(checks, 'mfa_performed').status, 'unknown');
    assert.match(find(checks, 'mfa_performed').fix!, /Sign in again/);
    assert.equal(find(checks, 'service_account_partner_center_roles').status, 'unknown');
    assert.equal(allRequiredPassed(checks), false);
  });
});

describe('allRequiredPassed', () => {
  const c = (status: PreflightCheck['status'], required = true): PreflightCheck => ({ id: 'entra_secret', title: 't', status, required, found: 'f' });
  it('counts passed and warning; never unknown or failed; ignores optional checks', () => {
    assert.equal(allRequiredPassed([c('passed'), c('warning')]), true);
    assert.equal(allRequiredPassed([c('passed'), c('unknown')]), false);
    assert.equal(allRequiredPassed([c('passed'), c('failed')]), false);
    assert.equal(allRequiredPassed([c('passed'), c('unknown', false), c('failed', false)]), true);
    assert.equal(allRequiredPassed([]), true);
  });

  it('any single unknown required fact blocks the commit', () => {
    const unknowable: Array<Partial<PreflightFacts>> = [
      { serviceAccountMemberships: no() }, { adminAgentsGroup: no() }, { grantedGraphRoleIds: no() }, { consentedGraphScopes: no() },
      { entraApp: no() }, { partnerCenterApp: no() }, { partnerCenter: { outcome: 'unavailable', reason: 'x' } },
    ];
    for (const overrides of unknowable) assert.equal(allRequiredPassed(evaluatePreflight(facts(overrides), now)), false, JSON.stringify(Object.keys(overrides)));
    // The legacy AdminAgents membership of the app is not required: not knowing it blocks nothing.
    assert.equal(allRequiredPassed(evaluatePreflight(facts({ appInAdminAgents: no() }), now)), true);
  });
});
