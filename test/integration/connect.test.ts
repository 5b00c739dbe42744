import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { testBackends } from '../support/database.ts';
import { dumpAllRows } from '../support/dump.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup } from '../support/journeys.ts';
import { acceptTerms, entraAppInput, partnerCenterAppInput, webAppSecretEnd, signInWithMicrosoft } from '../support/connect.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

/** The message a 400 answer shows at one field. */
function fieldMessage(response: { body: { error: { fields: { path: string; message: string }[] } } }, path: string): string {
  const field = response.body.error.fields.find((f) => f.path === path);
  assert.ok(field, `no message at ${path}: ${JSON.stringify(response.body.error.fields)}`);
  return field.message;
}

for (const backend of testBackends()) {
  describe(`Step 3, connect through HTTP (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      emulator = await startEmulator({ scenario: 'ready' });
      system = await startTestSystem(backend, { emulator });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    /** A partner with its own tenant that has signed up and claimed its link. */
    async function partnerOfTenant() {
      const browser = new Browser(system.url!);
      const claimed = await claimedSignup(system, browser);
      return { ...claimed, browser };
    }

    it('refuses every later step before the terms are accepted', async () => {
      const { browser, tenant } = await partnerOfTenant();
      for (const [path, body] of [
        ['/api/connect/entra-app', entraAppInput(tenant)],
        ['/api/connect/partner-center-app', partnerCenterAppInput(tenant)],
        ['/api/connect/microsoft-sign-in', {}],
        ['/api/connect/preflight', {}],
        ['/api/connect/commit', {}],
      ] as const) {
        const response = await browser.post(path, body);
        assert.equal(response.status, 409, `${path}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.error.code, 'TERMS_NOT_ACCEPTED', path);
      }
      const state = await browser.get('/api/connect/state');
      assert.equal(state.body.step, 'terms');
    });

    it('scenario ready: terms, both apps, sign-in with MFA, every check green, connected', async () => {
      const { browser, partner, signupToken, tenant } = await partnerOfTenant();
      await acceptTerms(browser);
      assert.equal((await browser.get('/api/connect/state')).body.step, 'entra_app');

      const entra = await browser.post('/api/connect/entra-app', { ...entraAppInput(tenant), clientSecret: `  ${tenant.facts.totalOneApp.secret}  ` });
      assert.equal(entra.status, 200, JSON.stringify(entra.body));
      assert.equal(entra.body.step, 'partner_center_app');
      assert.equal(entra.body.entraApp.tenantId, tenant.facts.tenantId);

      // A typed expiry that is not Microsoft's is refused with Microsoft's date; without one, Microsoft's is taken.
      const wrongDay = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant, { secretExpiresOn: '2031-01-10' }));
      assert.equal(wrongDay.status, 400, JSON.stringify(wrongDay.body));
      assert.match(fieldMessage(wrongDay, 'secretExpiresOn'), new RegExp(`Microsoft says this secret expires on ${webAppSecretEnd(tenant)}, not 2031-01-10`));
      const pc = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant));
      assert.equal(pc.status, 200, JSON.stringify(pc.body));
      assert.equal(pc.body.step, 'sign_in');
      assert.equal(pc.body.partnerCenterApp.secretExpiresOn, webAppSecretEnd(tenant), 'the expiry as Microsoft reports it');

      await signInWithMicrosoft(browser, tenant);
      const state = await browser.get('/api/connect/state');
      assert.equal(state.body.signIn.mfaPerformed, true, JSON.stringify(state.body.signIn));
      assert.equal(state.body.signIn.upn, tenant.facts.serviceAccount.upn);
      assert.equal(state.body.step, 'preflight');
      const failing = state.body.preflight.checks.filter((c: { status: string; required: boolean }) => c.required && c.status !== 'passed' && c.status !== 'warning');
      assert.deepEqual(failing, [], JSON.stringify(state.body.preflight.checks, null, 1));
      assert.equal(state.body.preflight.allRequiredPassed, true);

      const commit = await browser.post('/api/connect/commit');
      assert.equal(commit.status, 200, JSON.stringify(commit.body));
      assert.equal(commit.body.step, 'done');
      const row = await system.database.db.selectFrom('partners').select('state').where('id', '=', partner.id).executeTakeFirstOrThrow();
      // The worker of the same system may already have started the customer import.
      assert.ok(['connected', 'syncing', 'active'].includes(row.state), row.state);
      const spent = await new Browser(system.url!).post('/api/signup-links/inspect', { token: signupToken });
      assert.equal(spent.body.error.code, 'LINK_SPENT');
      // Queued (or already picked up by a worker): the job row exists for this partner.
      const jobs = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'sync.customers' AND data->>'partnerId' = ${partner.id}`.execute(system.database.db);
      assert.equal(jobs.rows[0]!.n, 1, 'the customer import is queued once');

      // The credentials are stored encrypted: no secret or refresh token in any table.
      const dump = await dumpAllRows(system.database.db);
      for (const secret of [tenant.facts.totalOneApp.secret!, tenant.facts.partnerCenter.webAppSecret!]) assert.ok(!dump.includes(secret));
      const stored = await system.database.db.selectFrom('credentials').select(['field']).where('partner_id', '=', partner.id).orderBy('field').execute();
      assert.deepEqual(stored.map((r) => r.field).filter((f) => f !== 'graph_refresh_token'), ['entra_client_secret', 'partner_center_refresh_token', 'partner_center_web_app_secret']);
      const logs = system.logLines.join('\n');
      for (const secret of [tenant.facts.totalOneApp.secret!, tenant.facts.partnerCenter.webAppSecret!, tenant.facts.serviceAccount.password]) assert.ok(!logs.includes(secret));
    });

    it('explains a secret ID pasted as the value, swapped IDs and a wrong secret, each at its field', async () => {
      const { browser, tenant } = await partnerOfTenant();
      await acceptTerms(browser);
      const f = tenant.facts;
      const secretId = await browser.post('/api/connect/entra-app', entraAppInput(tenant, { clientSecret: f.totalOneApp.secretKeyId! }));
      assert.equal(secretId.status, 400);
      assert.equal(secretId.body.error.fields[0].path, 'clientSecret');
      assert.match(secretId.body.error.fields[0].message, /secret\u2019s ID, not its value/);

      const wrongSecret = await browser.post('/api/connect/entra-app', entraAppInput(tenant, { clientSecret: `${f.totalOneApp.secret!.slice(0, -4)}abcd` }));
      assert.equal(wrongSecret.status, 400);
      assert.match(fieldMessage(wrongSecret, 'clientSecret'), /ID was copied instead of its value/);
      assert.match(wrongSecret.body.error.code, /VALIDATION_FAILED/);

      // The Partner Center web app's ID in the client ID field: Microsoft refuses the secret for
      // that app (AADSTS7000215); the client ID field says where that ID belongs.
      const webAppAsEntra = await browser.post('/api/connect/entra-app', entraAppInput(tenant, { clientId: f.partnerCenter.webAppId }));
      assert.equal(webAppAsEntra.status, 400);
      assert.equal(webAppAsEntra.body.error.fields[0].path, 'clientId');
      assert.match(fieldMessage(webAppAsEntra, 'clientId'), /Partner Center web app\u2019s ID[\s\S]*goes in the next step/);

      // The native app's ID in the client ID field (AADSTS700025: a public client): answered at
      // the client ID, in plain words, without Microsoft's raw text and without blaming the secret.
      const nativeAsEntra = await browser.post('/api/connect/entra-app', entraAppInput(tenant, { clientId: f.partnerCenter.nativeAppId }));
      assert.equal(nativeAsEntra.status, 400);
      assert.deepEqual(nativeAsEntra.body.error.fields.map((x: { path: string }) => x.path), ['clientId']);
      assert.match(fieldMessage(nativeAsEntra, 'clientId'), /native \(public client\) app[\s\S]*Native App ID field/);
      assert.doesNotMatch(JSON.stringify(nativeAsEntra.body), /AADSTS|client_assertion/);

      const unknownApp = await browser.post('/api/connect/entra-app', entraAppInput(tenant, { clientId: '11111111-2222-4333-8444-555555555555' }));
      assert.equal(unknownApp.status, 400);
      assert.equal(unknownApp.body.error.fields[0].path, 'clientId');

      assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(tenant))).status, 200);
      const swapped = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant, { webAppId: f.totalOneApp.appId }));
      assert.equal(swapped.status, 400);
      assert.equal(swapped.body.error.fields[0].path, 'webAppId');
      assert.match(swapped.body.error.fields[0].message, /Entra app/);

      const nativeAsWeb = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant, { webAppId: f.partnerCenter.nativeAppId, nativeAppId: f.partnerCenter.webAppId }));
      assert.equal(nativeAsWeb.status, 400);
      assert.equal(nativeAsWeb.body.error.fields[0].path, 'webAppId');
      assert.match(nativeAsWeb.body.error.fields[0].message, /native/);

      // The native app's ID typed into the Web App ID as well as (rightly) into the Native App ID:
      // answered at the Web App ID, the field that holds the wrong value.
      const nativeInBoth = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant, { webAppId: f.partnerCenter.nativeAppId }));
      assert.equal(nativeInBoth.status, 400);
      assert.deepEqual(nativeInBoth.body.error.fields.map((x: { path: string }) => x.path), ['webAppId']);
      assert.match(fieldMessage(nativeInBoth, 'webAppId'), /native app\u2019s ID[\s\S]*App management > Web app/);

      // And the web app's ID in both: answered at the Native App ID.
      const webInBoth = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant, { nativeAppId: f.partnerCenter.webAppId }));
      assert.equal(webInBoth.status, 400);
      assert.deepEqual(webInBoth.body.error.fields.map((x: { path: string }) => x.path), ['nativeAppId']);
    });
  });
}
