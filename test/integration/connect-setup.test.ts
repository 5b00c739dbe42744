import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { completeSignIn, startEmulator, type Emulator } from '../../emulator/index.ts';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup } from '../support/journeys.ts';
import { acceptTerms, partnerCenterAppInput, signInWithMicrosoft } from '../support/connect.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// "Set up Microsoft for me" through HTTP, on an emulator tenant where only the service account and
// Partner Center's apps exist: one administrator sign-in registers the Total One App, and the
// partner then only enters the Partner Center values, signs in and completes.

for (const backend of testBackends()) {
  describe(`Set up Microsoft for me (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      // No replyAddress: nothing is registered on the Partner Center web app; the setup does it.
      emulator = await startEmulator({ scenario: 'setup-service-account-only' });
      system = await startTestSystem(backend, { emulator });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    async function partner() {
      const browser = new Browser(system.url!);
      await claimedSignup(system, browser);
      await acceptTerms(browser);
      return browser;
    }

    /** Starts the setup, walks Microsoft's pages as `upn`, follows the redirect back; returns the setup view. */
    async function runSetup(browser: Browser, options: { upn?: string; consent?: 'accept' | 'accept-for-organization' | 'cancel'; webAppId?: string; adminAgents?: boolean; serviceAccountUpn?: string } = {}) {
      const start = await browser.post('/api/connect/setup', {
        addToAdminAgents: options.adminAgents ?? false,
        ...(options.webAppId ? { partnerCenterWebAppId: options.webAppId } : {}),
        ...(options.serviceAccountUpn ? { serviceAccountUpn: options.serviceAccountUpn } : {}),
      });
      assert.equal(start.status, 200, JSON.stringify(start.body));
      const upn = options.upn ?? emulator.facts.serviceAccount.upn;
      const user = emulator.scenario.tenants[0]!.users.find((u) => u.userPrincipalName === upn)!;
      const outcome = await completeSignIn({ authorizeUrl: start.body.authorizeUrl, username: upn, password: user.password, totp: () => emulator.totp(upn), approve: true, consent: options.consent ?? 'accept-for-organization' });
      assert.ok(outcome.redirectUrl, `sign-in ended on a page: ${outcome.pageError ?? outcome.pages.join(' > ')}`);
      assert.equal(outcome.redirectUrl.pathname, '/api/connect/setup/callback');
      const back = await browser.get(`${outcome.redirectUrl.pathname}${outcome.redirectUrl.search}`);
      assert.equal(back.status, 303);
      assert.equal(back.headers.get('location'), '/connect');
      const view = await browser.get('/api/connect/setup');
      assert.equal(view.status, 200);
      return view.body;
    }

    const statuses = (view: { lastRun: { actions: Array<{ id: string; status: string }> } }) => Object.fromEntries(view.lastRun.actions.map((a) => [a.id, a.status]));

    it('lists the delegated permissions and why, and says the token is not kept', async () => {
      const browser = await partner();
      const view = await browser.get('/api/connect/setup');
      assert.equal(view.status, 200, JSON.stringify(view.body));
      assert.equal(view.body.available, true);
      assert.equal(view.body.tokenKept, false);
      assert.deepEqual(view.body.permissions.map((p: { name: string }) => p.name).sort(), ['AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All', 'Directory.Read.All', 'GroupMember.ReadWrite.All', 'Policy.Read.All', 'User.Read', 'UserAuthenticationMethod.Read.All']);
      for (const p of view.body.permissions) assert.ok(p.why.length > 20, p.name);
      assert.equal(view.body.lastRun, null);
    });

    it('only the service account exists: setup -> Partner Center values -> sign-in -> every required check passes -> connected; running it again changes nothing', async () => {
      const browser = await partner();
      const f = emulator.facts;
      const first = await runSetup(browser, { webAppId: f.partnerCenter.webAppId, serviceAccountUpn: f.serviceAccount.upn });
      assert.equal(first.lastRun.outcome, 'completed', JSON.stringify(first.lastRun));
      assert.deepEqual(statuses(first), { policy: 'unchanged', app: 'done', service_principal: 'done', app_permissions: 'done', delegated_consent: 'done', admin_agents: 'skipped', service_account: 'unchanged', reply_address: 'done', secret: 'done' });
      assert.match(first.lastRun.actions.find((a: { id: string }) => a.id === 'service_account').detail, /Global Administrator, in AdminAgents, an MFA method registered/);
      for (const action of first.lastRun.actions.filter((a: { status: string }) => a.status === 'done')) assert.ok(action.undo, `${action.id} says how to undo it`);

      // In the tenant: one Total One App with the guide's permissions, granted; the partner never saw its secret.
      const tenant = emulator.scenario.tenants[0]!;
      const apps = tenant.applications.filter((a) => a.displayName === 'Total One App');
      assert.equal(apps.length, 1);
      assert.equal(apps[0]!.appId, first.lastRun.appId);
      assert.equal(apps[0]!.passwordCredentials.length, 1);
      const secretText = apps[0]!.passwordCredentials[0]!.secretText;
      assert.ok(!JSON.stringify(first).includes(secretText), 'the secret is never shown');
      const pcWebApp = tenant.applications.find((a) => a.appId === f.partnerCenter.webAppId)!;
      assert.deepEqual(pcWebApp.webRedirectUris, [`${system.publicUrl}/api/connect/microsoft/callback`]);
      const setupEvents = emulator.events.filter((e) => e.type.startsWith('graph.'));
      assert.ok(setupEvents.length >= 8, 'the setup wrote through Graph');

      // The Entra step counts as done: the wizard asks for the Partner Center app next.
      const state = await browser.get('/api/connect/state');
      assert.equal(state.body.entraApp.clientId, first.lastRun.appId);

      // Running it again changes nothing.
      const eventsBefore = emulator.events.filter((e) => e.type.startsWith('graph.')).length;
      const again = await runSetup(browser, { webAppId: f.partnerCenter.webAppId, serviceAccountUpn: f.serviceAccount.upn });
      assert.equal(again.lastRun.outcome, 'completed', JSON.stringify(again.lastRun));
      assert.deepEqual(statuses(again), { policy: 'unchanged', app: 'unchanged', service_principal: 'unchanged', app_permissions: 'unchanged', delegated_consent: 'unchanged', admin_agents: 'skipped', service_account: 'unchanged', reply_address: 'unchanged', secret: 'unchanged' });
      assert.equal(emulator.events.filter((e) => e.type.startsWith('graph.')).length, eventsBefore, 'no Graph write the second time');
      assert.equal(tenant.applications.filter((a) => a.displayName === 'Total One App')[0]!.passwordCredentials.length, 1);

      // The partner enters only the Partner Center values, signs in as the service account, and completes.
      const pc = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(emulator));
      assert.equal(pc.status, 200, JSON.stringify(pc.body));
      await signInWithMicrosoft(browser, emulator);
      const checked = await browser.get('/api/connect/state');
      const failedRequired = checked.body.preflight.checks.filter((c: { required: boolean; status: string }) => c.required && c.status !== 'passed');
      assert.deepEqual(failedRequired, [], JSON.stringify(checked.body.preflight.checks, null, 1));
      const committed = await browser.post('/api/connect/commit', {});
      assert.equal(committed.status, 200, JSON.stringify(committed.body));

      // The audit trail keeps the record; no token was stored.
      const partnerId = committed.body.partnerId ?? (await system.database.db.selectFrom('microsoft_connections').select('partner_id').where('entra_app_id', '=', first.lastRun.appId).executeTakeFirstOrThrow()).partner_id;
      const audit = await system.database.db.selectFrom('audit_events').select(['action', 'details']).where('partner_id', '=', partnerId).where('action', '=', 'connect.microsoft_setup').execute();
      assert.equal(audit.length, 2);
      const logs = system.logLines.join('\n');
      assert.ok(!logs.includes(secretText), 'the secret never reaches the logs');
    });

    it('finds and repairs its own app: a permission removed from the registration and its grant revoked are put back, the secret kept', async () => {
      emulator.loadScenario('setup-service-account-only');
      const browser = await partner();
      const first = await runSetup(browser);
      assert.equal(first.lastRun.outcome, 'completed', JSON.stringify(first.lastRun));
      const appId = first.lastRun.appId as string;
      const tenant = emulator.scenario.tenants[0]!;
      const app = tenant.applications.find((a) => a.appId === appId)!;
      const userReadWriteAll = '741f803b-c850-494e-b5df-cde7c675a1ca';
      app.requiredResourceAccess[0]!.resourceAccess = app.requiredResourceAccess[0]!.resourceAccess.filter((a) => a.id !== userReadWriteAll);
      emulator.patch({ op: 'revokeAppPermission', permission: 'User.ReadWrite.All', appId });
      const repaired = await runSetup(browser);
      assert.equal(repaired.lastRun.outcome, 'completed', JSON.stringify(repaired.lastRun));
      assert.deepEqual(statuses(repaired), { policy: 'unchanged', app: 'done', service_principal: 'unchanged', app_permissions: 'done', delegated_consent: 'unchanged', admin_agents: 'skipped', service_account: 'skipped', reply_address: 'skipped', secret: 'unchanged' });
      assert.match(repaired.lastRun.actions.find((a: { id: string }) => a.id === 'app_permissions').detail, /User\.ReadWrite\.All/);
      assert.ok(app.requiredResourceAccess[0]!.resourceAccess.some((a) => a.id === userReadWriteAll));
      assert.equal(app.passwordCredentials.length, 1);
    });

    it('refusals in plain words with the fix: non-admin, consent declined, secrets blocked, lifetime capped, name taken', async () => {
      emulator.loadScenario('setup-service-account-only');
      let browser = await partner();
      const jane = emulator.scenario.tenants[0]!.users.find((u) => u.userPrincipalName.startsWith('jane.doe@'))!;
      const nonAdmin = await runSetup(browser, { upn: jane.userPrincipalName, consent: 'accept' });
      assert.equal(nonAdmin.lastRun.outcome, 'refused');
      assert.match(nonAdmin.lastRun.refusal.message, /only an administrator/);
      assert.match(nonAdmin.lastRun.refusal.fix, /Global Administrator/);

      const declined = await runSetup(browser, { consent: 'cancel' });
      assert.equal(declined.lastRun.outcome, 'refused');
      assert.match(declined.lastRun.refusal.message, /not accepted/);

      emulator.loadScenario('setup-secrets-blocked');
      browser = await partner();
      const blocked = await runSetup(browser);
      assert.equal(blocked.lastRun.outcome, 'refused');
      assert.match(blocked.lastRun.refusal.message, /blocks client secrets/);
      assert.match(blocked.lastRun.refusal.fix, /App management policies/);
      assert.equal(emulator.scenario.tenants[0]!.applications.filter((a) => a.displayName === 'Total One App').length, 0, 'nothing created');

      // Also: the service account is missing from AdminAgents (fixed) and has no MFA method (said, with the fix).
      emulator.loadScenario('setup-secret-lifetime-capped');
      emulator.patch({ op: 'removeGroupMember', group: 'AdminAgents' }, { op: 'setMfa', method: 'none' });
      browser = await partner();
      const admin = emulator.scenario.tenants[0]!.users.find((u) => u.userPrincipalName.startsWith('admin@'))!;
      const capped = await runSetup(browser, { upn: admin.userPrincipalName, serviceAccountUpn: emulator.facts.serviceAccount.upn });
      const account = capped.lastRun.actions.find((a: { id: string }) => a.id === 'service_account');
      assert.equal(account.status, 'failed');
      assert.match(account.detail, /in AdminAgents \(added now\)/);
      assert.match(account.detail, /no multi-factor authentication method registered[\s\S]*mysecurityinfo/);
      assert.ok(emulator.scenario.tenants[0]!.groups.find((g) => g.displayName === 'AdminAgents')!.members.includes(emulator.facts.serviceAccount.id));
      assert.equal(capped.lastRun.outcome, 'completed', JSON.stringify(capped.lastRun));
      assert.match(capped.lastRun.actions.find((a: { id: string }) => a.id === 'policy').detail, /at most P90D/);
      const secret = emulator.scenario.tenants[0]!.applications.find((a) => a.displayName === 'Total One App')!.passwordCredentials[0]!;
      assert.ok(new Date(secret.endDateTime).getTime() - emulator.now().getTime() <= 90 * 86_400_000);

      emulator.loadScenario('setup-name-taken');
      browser = await partner();
      const taken = await runSetup(browser);
      assert.equal(taken.lastRun.outcome, 'refused');
      assert.match(taken.lastRun.refusal.message, /already exists[\s\S]*jane\.doe/);
      assert.match(taken.lastRun.refusal.fix, /Owners > Add owners/);
    });
  });
}
