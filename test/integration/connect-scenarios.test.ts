import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { acceptTerms, entraAppInput, partnerCenterAppInput, signInWithMicrosoft } from '../support/connect.ts';
import { preferredBackend } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup } from '../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// Each way a partner's Microsoft setup can be wrong: the wizard names the failed check and its fix;
// after the partner fixes it in Microsoft (a patch of the emulator's scenario), a re-run is green.
// These run on one database (preferredBackend): it plays no part in what differs between the scenarios.

type Check = { id: string; status: string; required: boolean; found: string; fix?: string };

describe('Step 3, connect: every setup mistake gets its check and its fix', () => {
  let system: TestSystem;
  let emulator: Emulator;

  before(async () => {
    emulator = await startEmulator({ scenario: 'ready' });
    system = await startTestSystem(preferredBackend(), { emulator });
  });
  after(async () => {
    await system.dispose();
    await emulator.close();
  });

  /** Brings a fresh partner, whose tenant is set up as the scenario, to the given step. */
  async function partnerIn(scenario: string, upTo: 'entra_app' | 'sign_in' | 'preflight') {
    const browser = new Browser(system.url!);
    const { tenant } = await claimedSignup(system, browser, {}, { scenario });
    await acceptTerms(browser);
    if (upTo === 'entra_app') return { browser, tenant };
    assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(tenant))).status, 200);
    assert.equal((await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant))).status, 200);
    if (upTo === 'sign_in') return { browser, tenant };
    await signInWithMicrosoft(browser, tenant);
    return { browser, tenant };
  }

  const checksOf = async (browser: Browser): Promise<{ checks: Check[]; allRequiredPassed: boolean }> => (await browser.get('/api/connect/state')).body.preflight;
  const check = (checks: Check[], id: string) => {
    const found = checks.find((c) => c.id === id);
    assert.ok(found, `check ${id} exists`);
    return found!;
  };

  async function rerun(browser: Browser) {
    const response = await browser.post('/api/connect/preflight');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.preflight as { checks: Check[]; allRequiredPassed: boolean };
  }

  it('not-global-admin: the Global Administrator check fails with its fix; assigning the role turns it green', async () => {
    const { browser, tenant } = await partnerIn('not-global-admin', 'preflight');
    const { checks, allRequiredPassed } = await checksOf(browser);
    assert.equal(allRequiredPassed, false);
    const admin = check(checks, 'service_account_global_admin');
    assert.equal(admin.status, 'failed');
    assert.match(admin.fix ?? '', /Global Administrator/);
    assert.equal((await browser.post('/api/connect/commit')).body.error.code, 'PREFLIGHT_NOT_PASSED');
    tenant.patch({ op: 'assignDirectoryRole', role: 'Global Administrator' });
    const after = await rerun(browser);
    assert.equal(check(after.checks, 'service_account_global_admin').status, 'passed');
    assert.equal(after.allRequiredPassed, true);
    assert.equal((await browser.post('/api/connect/commit')).status, 200);
  });

  it('app-not-in-adminagents: a legacy warning that blocks nothing; adding the app to AdminAgents clears it', async () => {
    const { browser, tenant } = await partnerIn('app-not-in-adminagents', 'preflight');
    const before = await checksOf(browser);
    const failed = check(before.checks, 'app_in_admin_agents');
    assert.equal(failed.status, 'warning');
    assert.equal(failed.required, false);
    assert.match(failed.found, /Under GDAP this membership grants nothing/);
    assert.match(failed.fix ?? '', /AdminAgents/);
    assert.equal(before.allRequiredPassed, true);
    tenant.patch({ op: 'addGroupMember', group: 'AdminAgents', appId: tenant.facts.totalOneApp.appId });
    const after = await rerun(browser);
    assert.equal(check(after.checks, 'app_in_admin_agents').status, 'passed');
    assert.equal(after.allRequiredPassed, true);
  });

  it('"fix it for me": TotalOne adds the app and the service account to AdminAgents itself', async () => {
    const { browser: appBrowser } = await partnerIn('app-not-in-adminagents', 'preflight');
    assert.equal(check((await checksOf(appBrowser)).checks, 'app_in_admin_agents').status, 'warning');
    const fixed = await appBrowser.post('/api/connect/microsoft-fixes', { fix: 'app_in_admin_agents' });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.equal(check(fixed.body.preflight.checks, 'app_in_admin_agents').status, 'passed');
    assert.equal(fixed.body.preflight.allRequiredPassed, true);
    assert.ok(emulator.events.some((e) => /group|member/i.test(JSON.stringify(e))), 'the change reached Microsoft');

    const { browser: userBrowser } = await partnerIn('not-admin-agent', 'preflight');
    const userFixed = await userBrowser.post('/api/connect/microsoft-fixes', { fix: 'service_account_in_admin_agents' });
    assert.equal(userFixed.status, 200, JSON.stringify(userFixed.body));
    assert.equal(check(userFixed.body.preflight.checks, 'service_account_in_admin_agents').status, 'passed');

    const bad = await userBrowser.post('/api/connect/microsoft-fixes', { fix: 'make_me_admin' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.fields[0].path, 'fix');
  });

  it('not-admin-agent: the AdminAgents check of the service account fails; adding it fixes it', async () => {
    const { browser, tenant } = await partnerIn('not-admin-agent', 'preflight');
    const { checks } = await checksOf(browser);
    assert.equal(check(checks, 'service_account_in_admin_agents').status, 'failed');
    tenant.patch({ op: 'addGroupMember', group: 'AdminAgents', upn: tenant.facts.serviceAccount.upn });
    const after = await rerun(browser);
    assert.equal(check(after.checks, 'service_account_in_admin_agents').status, 'passed');
    assert.equal(after.allRequiredPassed, true, JSON.stringify(after.checks.filter((c) => c.status !== 'passed')));
  });

  it('secret-expiring-soon: a warning that does not block, naming the expiry', async () => {
    const { browser } = await partnerIn('secret-expiring-soon', 'preflight');
    const { checks, allRequiredPassed } = await checksOf(browser);
    const secret = check(checks, 'entra_secret');
    assert.equal(secret.status, 'warning');
    assert.match(secret.fix ?? '', /secret/i);
    assert.equal(allRequiredPassed, true);
  });

  it('missing-graph-permission: the Entra app step names the missing permission; granting it lets the partner on', async () => {
    const { browser, tenant } = await partnerIn('missing-graph-permission', 'entra_app');
    const refused = await browser.post('/api/connect/entra-app', entraAppInput(tenant));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.fields[0].path, 'clientId');
    assert.match(refused.body.error.fields[0].message, /RoleManagement\.ReadWrite\.Directory/);
    assert.match(refused.body.error.fields[0].message, /Grant admin consent/);
    tenant.patch({ op: 'grantAppPermission', permission: 'RoleManagement.ReadWrite.Directory' });
    assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(tenant))).status, 200);
  });

  it('no-admin-consent: none of the four permissions is granted; admin consent fixes it', async () => {
    const { browser, tenant } = await partnerIn('no-admin-consent', 'entra_app');
    const refused = await browser.post('/api/connect/entra-app', entraAppInput(tenant));
    assert.equal(refused.status, 400);
    for (const permission of ['Directory.ReadWrite.All', 'Group.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'User.ReadWrite.All']) {
      assert.match(refused.body.error.fields[0].message, new RegExp(permission.replace(/\./g, '\\.')));
    }
    tenant.patch({ op: 'grantAdminConsent' });
    assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(tenant))).status, 200);
  });

  it('expired-secret: the secret field says it expired and where to make a new one; a new secret works', async () => {
    const { browser, tenant } = await partnerIn('expired-secret', 'entra_app');
    const refused = await browser.post('/api/connect/entra-app', entraAppInput(tenant));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.fields[0].path, 'clientSecret');
    assert.match(refused.body.error.fields[0].message, /expired/);
    const [result] = tenant.patch({ op: 'addClientSecret' });
    assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(tenant, { clientSecret: result!.secret!.secretText }))).status, 200);
  });

  // Asked for MFA (amr_values=mfa), Entra makes an account without a method register one first;
  // the emulator has no registration page and answers AADSTS50079 at the reply address.
  it('no-mfa: the sign-in is refused with how to register an MFA method; after MFA is set up, signing in again passes', async () => {
    const { browser, tenant } = await partnerIn('no-mfa', 'sign_in');
    await signInWithMicrosoft(browser, tenant);
    const state = (await browser.get('/api/connect/state')).body;
    assert.equal(state.step, 'sign_in');
    assert.equal(state.signIn.error.code, 'AADSTS50079');
    assert.match(state.signIn.error.message, /register a multi-factor authentication method/);
    assert.equal(state.signIn.mfaPerformed, false);
    tenant.patch({ op: 'setMfa', method: 'totp', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }, { op: 'setConditionalAccess', requireMfa: true });
    await signInWithMicrosoft(browser, tenant);
    const fixed = (await browser.get('/api/connect/state')).body;
    assert.equal(fixed.signIn.mfaPerformed, true);
    assert.equal(fixed.signIn.error, null);
    assert.equal(fixed.step, 'preflight');
    assert.equal(check(fixed.preflight.checks, 'mfa_performed').status, 'passed');
  });

  // TotalOne asks for MFA in the authorize request (amr_values=mfa, as Microsoft's Partner Center
  // consent sample does: https://github.com/microsoft/Partner-Center-DotNet-Samples/blob/master/secure-app-model/keyvault/PartnerConsent/App_Start/Startup.Auth.cs;
  // MS-OAPX 2.2.2.10: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-oapx/0fc398ca-88d0-4118-ae60-c3033e396e60),
  // so an admin with a method registered but no Conditional Access policy is prompted, not lectured.
  it('MFA method registered, no Conditional Access policy: the sign-in asks for MFA, the account is prompted and gets through', async () => {
    const { browser, tenant } = await partnerIn('no-mfa', 'sign_in');
    tenant.patch({ op: 'setMfa', method: 'totp', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });
    const { start, outcome } = await signInWithMicrosoft(browser, tenant);
    assert.equal(new URL(start.body.authorizeUrl).searchParams.get('amr_values'), 'mfa');
    assert.ok(outcome.pages.some((p: string) => /Verify your identity/i.test(p)), `Microsoft prompted for the second factor: ${outcome.pages.join(' > ')}`);
    const state = (await browser.get('/api/connect/state')).body;
    assert.equal(state.signIn.error, null);
    assert.equal(state.signIn.mfaPerformed, true);
  });

  it('ca-blocked: the sign-in error explains the policy and where to change it', async () => {
    const { browser, tenant } = await partnerIn('ca-blocked', 'sign_in');
    await signInWithMicrosoft(browser, tenant);
    const state = (await browser.get('/api/connect/state')).body;
    assert.equal(state.signIn.error.code, 'AADSTS53003');
    assert.match(state.signIn.error.message, /Conditional Access/);
  });
});
