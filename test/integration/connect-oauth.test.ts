import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { completeSignIn, startEmulator, type Emulator } from '../../emulator/index.ts';
import { acceptTerms, entraAppInput, partnerCenterAppInput, type PartnerTenant } from '../support/connect.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup } from '../support/journeys.ts';
import { testBackends } from '../support/database.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The Microsoft sign-in refuses every answer it cannot trust: a replayed or forged state, a PKCE
// verifier that does not match, an id token with another nonce, a token of another tenant. And its
// callback never waits for Partner Center: the checks run afterwards, from the wizard.

for (const backend of testBackends()) {
  describe(`Step 3, Microsoft sign-in: what is refused (${backend})`, () => {
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

    async function readyToSignIn() {
      const browser = new Browser(system.url!);
      const { partner, tenant } = await claimedSignup(system, browser);
      await acceptTerms(browser);
      assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(tenant))).status, 200);
      assert.equal((await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant))).status, 200);
      return { browser, partnerId: partner.id, tenant };
    }

    /** Runs Microsoft's pages and returns the callback path without following it. */
    async function microsoftAnswer(browser: Browser, tenant: PartnerTenant) {
      const start = await browser.post('/api/connect/microsoft-sign-in');
      const f = tenant.facts;
      const outcome = await completeSignIn({ authorizeUrl: start.body.authorizeUrl, username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => tenant.totp(), consent: 'accept' });
      return `${outcome.redirectUrl!.pathname}${outcome.redirectUrl!.search}`;
    }

    const stateOf = async (browser: Browser) => (await browser.get('/api/connect/state')).body;

    /** Rewrites the sealed sign-in checks of the partner's pending sign-in. */
    async function tamperChecks(partnerId: string, change: (checks: { nonce: string; codeVerifier: string; state: string }) => void) {
      const row = await system.database.db.selectFrom('oauth_sign_ins').selectAll().where('partner_id', '=', partnerId).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      const sealer = system.services.vault.appKeys.sealer('oauth');
      const checks = JSON.parse(sealer.open(row.sealed_checks, `oauth:${partnerId}`));
      change(checks);
      await system.database.db.updateTable('oauth_sign_ins').set({ sealed_checks: sealer.seal(JSON.stringify(checks), `oauth:${partnerId}`) }).where('state_hash', '=', row.state_hash).execute();
    }

    it('a replayed callback changes nothing (the first answer decides); a forged state is refused', async () => {
      const { browser, tenant } = await readyToSignIn();
      const callback = await microsoftAnswer(browser, tenant);
      assert.equal((await browser.get(callback)).status, 303);
      assert.equal((await stateOf(browser)).signIn.mfaPerformed, true);

      assert.equal((await browser.get(callback)).status, 303);
      const replayed = await stateOf(browser);
      assert.equal(replayed.signIn.error, null, 'the sign-in that succeeded still shows as such');
      assert.equal(replayed.step, 'preflight');

      const forged = callback.replace(/([?&])state=[^&]+/, '$1state=forged-state');
      await browser.get(forged);
      assert.equal((await stateOf(browser)).signIn.error.code, 'SIGN_IN_STATE');
    });

    it('the same answer handed in several times at once: the sign-in succeeds and the page says so', async () => {
      const { browser, tenant } = await readyToSignIn();
      const callback = await microsoftAnswer(browser, tenant);
      const answers = await Promise.all([browser.get(callback), browser.get(callback), browser.get(callback), browser.get(callback)]);
      assert.deepEqual(answers.map((a) => a.status), [303, 303, 303, 303]);
      const state = await stateOf(browser);
      assert.equal(state.signIn.error, null);
      assert.equal(state.signIn.mfaPerformed, true);
      assert.equal(state.step, 'preflight');
    });

    it('the latest sign-in decides: a refused sign-in after a good one voids it, and an older answer arriving late changes nothing', async () => {
      const { browser, tenant } = await readyToSignIn();
      assert.equal((await browser.get(await microsoftAnswer(browser, tenant))).status, 303);
      assert.equal((await stateOf(browser)).step, 'preflight');
      assert.equal((await browser.post('/api/connect/preflight', {})).status, 200);

      // A second sign-in that Microsoft answers with a refusal (the admin declined, as
      // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response
      // shows: error and error_description with the state): the earlier sign-in no longer counts.
      system.clock.advance(1000);
      const older = await microsoftAnswer(browser, tenant); // started first, handed in last
      system.clock.advance(1000);
      const declined = await browser.post('/api/connect/microsoft-sign-in');
      const state = new URL(declined.body.authorizeUrl).searchParams.get('state')!;
      await browser.get(`/api/connect/microsoft/callback?error=access_denied&error_description=${encodeURIComponent('AADSTS65004: User declined to consent to access the app.')}&state=${encodeURIComponent(state)}`);
      const refused = await stateOf(browser);
      assert.equal(refused.step, 'sign_in');
      assert.equal(refused.signIn.signedInAt, null);
      assert.ok(refused.signIn.error, 'the refusal is shown');
      assert.equal(refused.preflight, null, 'checks of the voided sign-in are not shown');
      assert.equal((await browser.post('/api/connect/commit', {})).status, 409, 'nothing can be completed on the voided sign-in');

      // The older, successful answer arrives now: the newer refusal still decides.
      assert.equal((await browser.get(older)).status, 303);
      const after = await stateOf(browser);
      assert.equal(after.step, 'sign_in');
      assert.equal(after.signIn.signedInAt, null);

      // A new sign-in decides again.
      system.clock.advance(1000);
      assert.equal((await browser.get(await microsoftAnswer(browser, tenant))).status, 303);
      const again = await stateOf(browser);
      assert.equal(again.step, 'preflight');
      assert.equal(again.signIn.error, null);
    });

    it('Partner Center hanging: the sign-in callback still answers at once, and the wizard then runs the checks and shows them once Partner Center answers', { timeout: 45_000 }, async () => {
      const { browser, tenant } = await readyToSignIn();
      const callback = await microsoftAnswer(browser, tenant);
      // From now on Partner Center holds every request of this partner for a minute before it answers.
      tenant.patch({ op: 'setFaults', faults: { latencyMs: 60_000 } });
      const mark = emulator.requests.at(-1);
      const partnerCenterAnswersSinceMark = () => emulator.requests.slice(emulator.requests.indexOf(mark!) + 1).filter((r) => r.service === 'partner-center').length;
      // A callback that waited for Partner Center would still be waiting when the test's time is up.
      const answer = await browser.get(callback);
      assert.equal(answer.status, 303);
      assert.equal(answer.headers.get('location'), '/connect');
      assert.equal(partnerCenterAnswersSinceMark(), 0, 'the browser was sent on before Partner Center answered anything');

      // Back on the wizard: signed in, no checks yet, so the page runs them and shows them running.
      const back = await stateOf(browser);
      assert.equal(back.step, 'preflight');
      assert.ok(back.signIn.signedInAt);
      assert.equal(back.signIn.error, null);
      assert.equal(back.preflight, null);

      // The checks wait on Partner Center (held here until the test lets it answer); the wizard's
      // state shows no half result meanwhile, then every check once it answered.
      tenant.patch({ op: 'setFaults', faults: { latencyMs: 0 } });
      const held = emulator.hold('GET', /^\/v1\//);
      const checks = browser.post('/api/connect/preflight', {});
      await held.reached;
      const during = await stateOf(browser);
      assert.equal(during.step, 'preflight');
      assert.equal(during.preflight, null, 'no checks shown before they are done');
      held.release();
      const done = await checks;
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.ok(done.body.preflight.checks.length > 0);
      assert.equal(done.body.preflight.allRequiredPassed, true);
    });

    it('a callback in another browser is refused', async () => {
      const { browser, tenant } = await readyToSignIn();
      const callback = await microsoftAnswer(browser, tenant);
      const other = new Browser(system.url!);
      assert.equal((await other.get(callback)).status, 303);
      // The real browser's sign-in is not completed by the stranger: it is still waiting for its answer.
      const signIn = (await stateOf(browser)).signIn;
      assert.equal(signIn.signedInAt, null);
      assert.equal(signIn.error, null);
      assert.ok(signIn.unfinishedSince);
    });

    it('an id token with another nonce is refused', async () => {
      const { browser, partnerId, tenant } = await readyToSignIn();
      const callback = await microsoftAnswer(browser, tenant);
      await tamperChecks(partnerId, (checks) => (checks.nonce = 'not-the-nonce-we-sent'));
      await browser.get(callback);
      const state = await stateOf(browser);
      assert.equal(state.signIn.signedInAt, null);
      assert.equal(state.signIn.error.code, 'SIGN_IN_INVALID');
    });

    it('a code redeemed with the wrong PKCE verifier is refused', async () => {
      const { browser, partnerId, tenant } = await readyToSignIn();
      const callback = await microsoftAnswer(browser, tenant);
      await tamperChecks(partnerId, (checks) => (checks.codeVerifier = 'A'.repeat(43)));
      await browser.get(callback);
      const state = await stateOf(browser);
      assert.equal(state.signIn.signedInAt, null);
      assert.match(state.signIn.error.code, /MICROSOFT_|SIGN_IN_INVALID/);
    });

    it('a token of another tenant than the partner\u2019s is refused', async () => {
      const { browser, partnerId, tenant } = await readyToSignIn();
      const callback = await microsoftAnswer(browser, tenant);
      await system.database.db.updateTable('microsoft_connections').set({ tenant_id: '00000000-1111-4222-8333-444444444444' }).where('partner_id', '=', partnerId).execute();
      await browser.get(callback);
      const state = await stateOf(browser);
      assert.equal(state.signIn.error.code, 'WRONG_TENANT');
      assert.equal(state.signIn.signedInAt, null);
    });
  });
}
