import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listScenarios, startEmulator, type Emulator } from '../../emulator/index.ts';
import { acceptTerms, entraAppInput, partnerCenterAppInput, signInWithMicrosoft, type PartnerTenant } from '../support/connect.ts';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup } from '../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The reply address is shown and checked before the browser goes to Microsoft: the product reads
// the Partner Center web app's Web redirect URIs through Graph (application resource, `web` is a
// webApplication with `redirectUris`: https://learn.microsoft.com/en-us/graph/api/resources/webapplication,
// read with GET /applications(appId='{appId}'): https://learn.microsoft.com/en-us/graph/api/application-get)
// and refuses to start a sign-in Microsoft would stop with AADSTS50011.

/** The emulator's scenario for a web app without TotalOne's reply address. */
function replyAddressMissingScenario(): string {
  return listScenarios().some((s) => s.name === 'reply-address-missing') ? 'reply-address-missing' : 'ready';
}

for (const backend of testBackends()) {
  describe(`Step 3, the reply address is checked before the sign-in (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;
    let replyAddress: string;

    before(async () => {
      emulator = await startEmulator({ scenario: replyAddressMissingScenario() });
      system = await startTestSystem(backend, { emulator });
      replyAddress = `${system.publicUrl}/api/connect/microsoft/callback`;
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    async function readyToSignIn() {
      const browser = new Browser(system.url!);
      const { partner, tenant } = await claimedSignup(system, browser, {}, { scenario: replyAddressMissingScenario() });
      await acceptTerms(browser);
      assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(tenant))).status, 200);
      const pc = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant));
      assert.equal(pc.status, 200, JSON.stringify(pc.body));
      return { browser, partnerId: partner.id, tenant };
    }

    /** The fix a partner makes in the Entra admin center, through the emulator's admin API. */
    async function registerOnWebApp(tenant: PartnerTenant, uri: string) {
      const response = await fetch(`${emulator.baseUrl}/_emulator/scenario/patch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ op: 'addRedirectUri', uri, appId: tenant.facts.partnerCenter.webAppId, tenantId: tenant.id }),
      });
      assert.equal(response.status, 200, await response.text());
    }

    it('names the exact address publicly and in the wizard state', async () => {
      const { browser } = await readyToSignIn();
      const anonymous = await new Browser(system.url!).get('/api/connect/reply-address');
      assert.equal(anonymous.status, 200);
      assert.equal(anonymous.body.replyAddress, replyAddress);
      assert.equal((await browser.get('/api/connect/state')).body.replyAddress, replyAddress);
    });

    it('refuses to start the sign-in, shows the address and the fix; once registered, the same session signs in and completes', async () => {
      const { browser, partnerId, tenant } = await readyToSignIn();
      const authorizeCalls = () => emulator.requests.filter((r) => r.service === 'identity' && /\/authorize/.test(r.path)).length;
      const before = authorizeCalls();

      const refused = await browser.post('/api/connect/microsoft-sign-in');
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'REPLY_ADDRESS_NOT_REGISTERED');
      const [field] = refused.body.error.fields;
      assert.equal(field.path, 'replyAddress');
      assert.ok(field.message.includes(replyAddress), field.message);
      assert.match(field.message, /App registrations > All applications > the app .* > Authentication/);
      assert.match(field.message, /AADSTS50011/);
      assert.equal(authorizeCalls(), before, 'the browser was never sent to Microsoft');
      const pending = await system.database.db.selectFrom('oauth_sign_ins').select('state_hash').where('partner_id', '=', partnerId).execute();
      assert.equal(pending.length, 0, 'no sign-in was started');
      assert.ok(emulator.requests.some((r) => r.service === 'graph' && /applications\(appId=/.test(r.path)), 'the web app was read through Graph');

      await registerOnWebApp(tenant, replyAddress);
      await signInWithMicrosoft(browser, tenant);
      const state = (await browser.get('/api/connect/state')).body;
      assert.equal(state.signIn.error, null);
      assert.equal(state.signIn.mfaPerformed, true);
      assert.equal(state.step, 'preflight');
      const commit = await browser.post('/api/connect/commit');
      assert.equal(commit.status, 200, JSON.stringify(commit.body));
      assert.equal(commit.body.step, 'done');
    });

    it('an address that differs in a trailing slash is named, as Microsoft compares exactly', async () => {
      const { browser, tenant } = await readyToSignIn();
      await registerOnWebApp(tenant, `${replyAddress}/`);
      const refused = await browser.post('/api/connect/microsoft-sign-in');
      assert.equal(refused.status, 400);
      assert.match(refused.body.error.fields[0].message, /trailing slash/);
      assert.ok(refused.body.error.fields[0].message.includes(`${replyAddress}/`));
    });

    it('a sign-in that never comes back is shown as unfinished, with what most likely happened; the answer clears it', async () => {
      const { browser, tenant } = await readyToSignIn();
      await registerOnWebApp(tenant, replyAddress);
      const started = await browser.post('/api/connect/microsoft-sign-in');
      assert.equal(started.status, 200);
      const waiting = (await browser.get('/api/connect/state')).body;
      assert.equal(waiting.step, 'sign_in');
      assert.ok(waiting.signIn.unfinishedSince, 'the unfinished sign-in is known');

      // Back from Microsoft without a code (the partner declined the permissions).
      await signInWithMicrosoft(browser, tenant, { consent: 'cancel' });
      const declined = (await browser.get('/api/connect/state')).body;
      assert.equal(declined.signIn.unfinishedSince, null);
      assert.match(declined.signIn.error.message, /permissions were not accepted/);

      await signInWithMicrosoft(browser, tenant);
      const signedIn = (await browser.get('/api/connect/state')).body;
      assert.equal(signedIn.signIn.error, null);
      assert.equal(signedIn.signIn.unfinishedSince, null);
    });
  });
}
