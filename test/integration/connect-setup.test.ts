import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SETUP_CALLBACK_PATH, completeSignIn, startEmulator, type Emulator } from '../../emulator/index.ts';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup } from '../support/journeys.ts';
import { acceptTerms, partnerCenterAppInput, signInWithMicrosoft, tenantInWorld } from '../support/connect.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// "Set up Microsoft for me" through HTTP, on an emulator tenant where only the service account and
// Partner Center's apps exist: one administrator sign-in registers the Total One App, and the
// partner then only enters the Partner Center values, signs in and completes. The run goes on after
// Microsoft's redirect back; the wizard follows it (GET, server-sent events).

type SetupView = { available: boolean; lastRun: { status: string; actions: Array<{ id: string; status: string; detail: string; undo?: string }>; refusal?: { message: string; fix: string }; appId?: string } | null } & Record<string, any>;

/** Follows the run over server-sent events until the stream ends; every `setup` event, in order. */
/** Follows the run's event stream: `opened` once its first event has come, `events` (every one) once it ends. */
function followRun(browser: Browser): { opened: Promise<void>; events: Promise<SetupView[]> } {
  let opened!: () => void;
  const openedPromise = new Promise<void>((resolve) => (opened = resolve));
  const events = (async () => {
    const cookie = browser.allCookies().map((c) => `${c.name}=${c.value}`).join('; ');
    const response = await fetch(`${browser.baseUrl}/api/connect/setup/events`, { headers: { cookie }, signal: AbortSignal.timeout(60_000) });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes('event: setup')) opened();
    }
    opened();
    assert.match(text, /event: end/);
    return text
      .split('\n\n')
      .filter((block) => block.startsWith('event: setup'))
      .map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as SetupView);
  })();
  return { opened: openedPromise, events };
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

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

    /** A company whose domain is verified in the scenario's (first) tenant, at the Entra step. */
    async function partner() {
      const browser = new Browser(system.url!);
      await claimedSignup(system, browser, {}, { tenant: tenantInWorld(emulator) });
      await acceptTerms(browser);
      return browser;
    }

    /** Starts the setup and walks Microsoft's pages as `upn` up to the redirect back, which starts the run. */
    async function signInForSetup(browser: Browser, options: { upn?: string; consent?: 'accept' | 'accept-for-organization' | 'cancel'; webAppId?: string; adminAgents?: boolean; serviceAccountUpn?: string } = {}) {
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
      assert.equal(back.headers.get('location'), '/connect#setup');
    }

    /** The whole setup: sign-in, then the run followed over its events to the end; returns the final view. */
    async function runSetup(browser: Browser, options: Parameters<typeof signInForSetup>[1] = {}): Promise<any> {
      await signInForSetup(browser, options);
      const events = await followRun(browser).events;
      const view = await browser.get('/api/connect/setup');
      assert.equal(view.status, 200);
      assert.notEqual(view.body.lastRun?.status, 'running');
      assert.deepEqual(events.at(-1), view.body, 'the last event is the finished run');
      return view.body;
    }

    const statuses = (view: SetupView) => Object.fromEntries(view.lastRun!.actions.map((a) => [a.id, a.status]));

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
      assert.equal(first.lastRun.status, 'completed', JSON.stringify(first.lastRun));
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
      assert.equal(again.lastRun.status, 'completed', JSON.stringify(again.lastRun));
      assert.deepEqual(statuses(again), { policy: 'unchanged', app: 'unchanged', service_principal: 'unchanged', app_permissions: 'unchanged', delegated_consent: 'unchanged', admin_agents: 'skipped', service_account: 'unchanged', reply_address: 'unchanged', secret: 'unchanged' });
      assert.equal(emulator.events.filter((e) => e.type.startsWith('graph.')).length, eventsBefore, 'no Graph write the second time');
      assert.equal(tenant.applications.filter((a) => a.displayName === 'Total One App')[0]!.passwordCredentials.length, 1);

      // The partner enters only the Partner Center values, signs in as the service account, and completes.
      const pc = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenantInWorld(emulator)));
      assert.equal(pc.status, 200, JSON.stringify(pc.body));

      // Run again once the secret sits in the vault (the Partner Center step moved it there): still nothing to change.
      const writesBefore = emulator.events.filter((e) => e.type.startsWith('graph.')).length;
      const third = await runSetup(browser, { webAppId: f.partnerCenter.webAppId, serviceAccountUpn: f.serviceAccount.upn });
      assert.deepEqual(statuses(third), statuses(again));
      assert.match(third.lastRun!.actions.find((a: { id: string }) => a.id === 'secret')!.detail, /still there/);
      assert.equal(emulator.events.filter((e) => e.type.startsWith('graph.')).length, writesBefore, 'no Graph write the third time');
      assert.ok((await browser.get('/api/connect/state')).body.partnerCenterApp, 'the Partner Center step stays done');
      await signInWithMicrosoft(browser, tenantInWorld(emulator));
      const checked = await browser.get('/api/connect/state');
      const failedRequired = checked.body.preflight.checks.filter((c: { required: boolean; status: string }) => c.required && c.status !== 'passed');
      assert.deepEqual(failedRequired, [], JSON.stringify(checked.body.preflight.checks, null, 1));
      const committed = await browser.post('/api/connect/commit', {});
      assert.equal(committed.status, 200, JSON.stringify(committed.body));

      // The audit trail keeps the record; no token was stored.
      const partnerId = committed.body.partnerId ?? (await system.database.db.selectFrom('microsoft_connections').select('partner_id').where('entra_app_id', '=', first.lastRun.appId).executeTakeFirstOrThrow()).partner_id;
      const audit = await system.database.db.selectFrom('audit_events').select(['action', 'details']).where('partner_id', '=', partnerId).where('action', '=', 'connect.microsoft_setup').execute();
      assert.equal(audit.length, 3);
      const logs = system.logLines.join('\n');
      assert.ok(!logs.includes(secretText), 'the secret never reaches the logs');
    });

    it('finds and repairs its own app: a permission removed from the registration and its grant revoked are put back, the secret kept', async () => {
      emulator.loadScenario('setup-service-account-only');
      const browser = await partner();
      const first = await runSetup(browser);
      assert.equal(first.lastRun.status, 'completed', JSON.stringify(first.lastRun));
      const appId = first.lastRun.appId as string;
      const tenant = emulator.scenario.tenants[0]!;
      const app = tenant.applications.find((a) => a.appId === appId)!;
      const userReadWriteAll = '741f803b-c850-494e-b5df-cde7c675a1ca';
      app.requiredResourceAccess[0]!.resourceAccess = app.requiredResourceAccess[0]!.resourceAccess.filter((a) => a.id !== userReadWriteAll);
      emulator.patch({ op: 'revokeAppPermission', permission: 'User.ReadWrite.All', appId });
      const repaired = await runSetup(browser);
      assert.equal(repaired.lastRun.status, 'completed', JSON.stringify(repaired.lastRun));
      assert.deepEqual(statuses(repaired), { policy: 'unchanged', app: 'done', service_principal: 'unchanged', app_permissions: 'done', delegated_consent: 'unchanged', admin_agents: 'skipped', service_account: 'skipped', reply_address: 'skipped', secret: 'unchanged' });
      assert.match(repaired.lastRun.actions.find((a: { id: string }) => a.id === 'app_permissions').detail, /User\.ReadWrite\.All/);
      assert.ok(app.requiredResourceAccess[0]!.resourceAccess.some((a) => a.id === userReadWriteAll));
      assert.equal(app.passwordCredentials.length, 1);
    });

    /** An administrator deletes a client secret in Entra: Graph removePassword with a delegated admin token. */
    async function deleteSecretInEntra(objectId: string, keyId: string) {
      const setupApp = emulator.setupApp!;
      const verifier = randomBytes(32).toString('base64url');
      const redirectUri = `${system.publicUrl}${SETUP_CALLBACK_PATH}`;
      const scope = 'https://graph.microsoft.com/Application.ReadWrite.All openid';
      const authorize = new URL(`${emulator.baseUrl}/${emulator.facts.tenantId}/oauth2/v2.0/authorize`);
      authorize.search = new URLSearchParams({ client_id: setupApp.appId, response_type: 'code', redirect_uri: redirectUri, scope, state: 's', nonce: 'n', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' }).toString();
      const f = emulator.facts;
      const signIn = await completeSignIn({ authorizeUrl: authorize.toString(), username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => emulator.totp(), approve: true, consent: 'accept-for-organization' });
      assert.ok(signIn.code, JSON.stringify(signIn));
      const token = await fetch(`${emulator.baseUrl}/${f.tenantId}/oauth2/v2.0/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', client_id: setupApp.appId, client_secret: setupApp.secret, code: signIn.code, redirect_uri: redirectUri, code_verifier: verifier, scope }).toString(),
      }).then((r) => r.json() as Promise<{ access_token: string }>);
      // https://learn.microsoft.com/en-us/graph/api/application-removepassword?view=graph-rest-1.0: POST { keyId }, 204 No Content.
      const removed = await fetch(`${emulator.endpoints.graph}/applications/${objectId}/removePassword`, { method: 'POST', headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ keyId }) });
      assert.equal(removed.status, 204);
    }

    it('each action is written as it is done: mid-run the page reads the actions so far (also after a reload), the events bring the rest and the end', async () => {
      emulator.loadScenario('setup-service-account-only');
      const browser = await partner();
      // Microsoft is slow to create the secret (the last action): the run waits there.
      const slowSecret = emulator.hold('POST', /\/applications\/[^/]+\/addPassword$/);
      await signInForSetup(browser, { webAppId: emulator.facts.partnerCenter.webAppId, serviceAccountUpn: emulator.facts.serviceAccount.upn });
      await slowSecret.reached;
      const midRun = await browser.get('/api/connect/setup');
      assert.equal(midRun.body.lastRun.status, 'running');
      assert.deepEqual(midRun.body.lastRun.actions.map((a: { id: string }) => a.id), ['policy', 'app', 'service_principal', 'app_permissions', 'delegated_consent', 'admin_agents', 'service_account', 'reply_address']);
      assert.equal((await browser.get('/api/connect/setup')).body.lastRun.actions.length, 8, 'a reload shows the same progress');
      const again = await browser.post('/api/connect/setup', {});
      assert.equal(again.status, 409, 'no second run while one runs');
      assert.equal(again.body.error.code, 'SETUP_RUNNING');
      // The stream is open (its first event is the progress so far) before Microsoft answers.
      const following = followRun(browser);
      await following.opened;
      slowSecret.release();
      const seen = await following.events;
      assert.equal(seen[0]!.lastRun!.status, 'running');
      assert.equal(seen[0]!.lastRun!.actions.length, 8, 'the stream starts with the progress so far');
      assert.equal(seen.at(-1)!.lastRun!.status, 'completed');
      assert.equal(seen.at(-1)!.lastRun!.actions.at(-1)!.id, 'secret');
      assert.equal(seen.at(-1)!.lastRun!.actions.at(-1)!.status, 'done');
    });

    it('a run cut off mid-way (its server gone) shows as interrupted with what it did; running it again repeats nothing, and the cut run\u2019s late secret is removed', async () => {
      emulator.loadScenario('setup-service-account-only');
      let browser = await partner();
      const slowSecret = emulator.hold('POST', /\/applications\/[^/]+\/addPassword$/);
      await signInForSetup(browser);
      await slowSecret.reached;
      // The server goes away while Microsoft creates the secret; another one takes over.
      await system.stop();
      system = await system.restart();
      browser = browser.at(system.url!);
      const cut = await browser.get('/api/connect/setup');
      assert.equal(cut.body.lastRun.status, 'running', 'the new server cannot tell yet');
      system.clock.advance(6 * 60_000);
      const interrupted = await browser.get('/api/connect/setup');
      assert.equal(interrupted.body.lastRun.status, 'interrupted');
      assert.match(interrupted.body.lastRun.refusal.message, /interrupted/);
      assert.match(interrupted.body.lastRun.refusal.fix, /Run the setup again/);
      assert.equal(interrupted.body.lastRun.actions.length, 8);

      const rerun = await runSetup(browser);
      assert.equal(rerun.lastRun!.status, 'completed', JSON.stringify(rerun.lastRun));
      assert.deepEqual(statuses(rerun), { policy: 'unchanged', app: 'unchanged', service_principal: 'unchanged', app_permissions: 'unchanged', delegated_consent: 'unchanged', admin_agents: 'skipped', service_account: 'skipped', reply_address: 'skipped', secret: 'done' });
      const tenant = emulator.scenario.tenants[0]!;
      assert.equal(tenant.applications.filter((a) => a.displayName === 'Total One App').length, 1);
      assert.equal(tenant.servicePrincipals.filter((sp) => sp.appId === rerun.lastRun!.appId).length, 1);
      // The audit trail keeps what the cut run changed, then the new run.
      const partnerId = (await system.database.db.selectFrom('microsoft_connections').select('partner_id').where('entra_app_id', '=', rerun.lastRun!.appId).executeTakeFirstOrThrow()).partner_id;
      const records = await system.database.db.selectFrom('audit_events').select('details').where('partner_id', '=', partnerId).where('action', '=', 'connect.microsoft_setup').orderBy('id').execute();
      const details = records.map((r) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as { status: string; actions: unknown[] });
      assert.deepEqual(details.map((d) => [d.status, d.actions.length]), [['interrupted', 8], ['completed', 9]]);

      // The cut run's request comes back late: the secret it created is deleted, the new run's stays.
      slowSecret.release();
      await waitFor('the late secret removed', () => emulator.events.some((e) => e.type === 'graph.password_removed'));
      const app = tenant.applications.find((a) => a.appId === rerun.lastRun!.appId)!;
      assert.equal(app.passwordCredentials.length, 1);
      const state = await browser.get('/api/connect/state');
      assert.equal(state.body.entraApp.secretHint, `${app.passwordCredentials[0]!.secretText.slice(0, 3)}…`);
      assert.equal((await browser.get('/api/connect/setup')).body.lastRun.status, 'completed', 'the late run changes nothing');
    });

    it('a secret deleted in Entra is noticed: running the setup again creates a new one instead of reporting nothing to change', async () => {
      emulator.loadScenario('setup-service-account-only');
      const browser = await partner();
      const first = await runSetup(browser);
      assert.equal(first.lastRun!.status, 'completed');
      const pc = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenantInWorld(emulator)));
      assert.equal(pc.status, 200, JSON.stringify(pc.body));
      const app = emulator.scenario.tenants[0]!.applications.find((a) => a.appId === first.lastRun!.appId)!;
      const old = app.passwordCredentials[0]!;
      await deleteSecretInEntra(app.id, old.keyId);

      const again = await runSetup(browser);
      assert.equal(again.lastRun!.status, 'completed', JSON.stringify(again.lastRun));
      const secret = again.lastRun!.actions.find((a: { id: string }) => a.id === 'secret')!;
      assert.equal(secret.status, 'done');
      assert.match(secret.detail, new RegExp(`beginning ${old.secretText.slice(0, 3)}\\) is no longer on the app`));
      assert.equal(app.passwordCredentials.length, 1);
      const fresh = app.passwordCredentials[0]!;
      assert.notEqual(fresh.keyId, old.keyId);
      // The vault holds the new secret: the app's own client credentials work with what TotalOne stored.
      const state = await browser.get('/api/connect/state');
      assert.equal(state.body.entraApp.secretHint, `${fresh.secretText.slice(0, 3)}…`);
      const partnerId = (await system.database.db.selectFrom('microsoft_connections').select('partner_id').where('entra_app_id', '=', app.appId).executeTakeFirstOrThrow()).partner_id;
      const stored = await system.services.credentials.openEntraSecret(partnerId);
      assert.equal(stored, fresh.secretText);
    });

    it('refusals in plain words with the fix: non-admin, consent declined, secrets blocked, lifetime capped, name taken', async () => {
      emulator.loadScenario('setup-service-account-only');
      let browser = await partner();
      const jane = emulator.scenario.tenants[0]!.users.find((u) => u.userPrincipalName.startsWith('jane.doe@'))!;
      const nonAdmin = await runSetup(browser, { upn: jane.userPrincipalName, consent: 'accept' });
      assert.equal(nonAdmin.lastRun.status, 'refused');
      assert.match(nonAdmin.lastRun.refusal.message, /only an administrator/);
      assert.match(nonAdmin.lastRun.refusal.fix, /Global Administrator/);

      const declined = await runSetup(browser, { consent: 'cancel' });
      assert.equal(declined.lastRun.status, 'refused');
      assert.match(declined.lastRun.refusal.message, /not accepted/);

      emulator.loadScenario('setup-secrets-blocked');
      browser = await partner();
      const blocked = await runSetup(browser);
      assert.equal(blocked.lastRun.status, 'refused');
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
      assert.equal(capped.lastRun.status, 'completed', JSON.stringify(capped.lastRun));
      assert.match(capped.lastRun.actions.find((a: { id: string }) => a.id === 'policy').detail, /at most P90D/);
      const secret = emulator.scenario.tenants[0]!.applications.find((a) => a.displayName === 'Total One App')!.passwordCredentials[0]!;
      assert.ok(new Date(secret.endDateTime).getTime() - emulator.now().getTime() <= 90 * 86_400_000);

      emulator.loadScenario('setup-name-taken');
      browser = await partner();
      const taken = await runSetup(browser);
      assert.equal(taken.lastRun.status, 'refused');
      assert.match(taken.lastRun.refusal.message, /already exists[\s\S]*jane\.doe/);
      assert.match(taken.lastRun.refusal.fix, /Owners > Add owners/);
    });
  });
}
