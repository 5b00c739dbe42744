import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { manualClock } from '../../server/lib/clock.ts';
import { testBackends } from '../support/database.ts';
import { linkToken } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { settled } from '../support/settled.ts';
import { signInWithMicrosoft } from '../support/connect.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';

// After a revoked grant (the service account's password changed), support issues a reconnect link:
// the partner opens it, signs in to Microsoft again (its apps are kept), the checks run, the
// connection is completed again and the import finishes: the partner is active again. A partner that
// needs attention may ask for the same link on its status page.

for (const backend of testBackends()) {
  describe(`reconnect after sync_failed (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      // Microsoft (the emulator) keeps the test's time: a sign-in after `clock.advance` is later than
      // the password change it follows (Microsoft compares them in whole seconds).
      const clock = manualClock(new Date());
      emulator = await startEmulator({ scenario: 'ready', now: () => clock.now() });
      system = await startTestSystem(backend, { emulator, clock });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    it('a reconnect link leads through a new Microsoft sign-in back to active', async () => {
      const { partner, email, tenant } = await connectPartner(system, emulator);
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      // The first import's job has ended (its partner lock is released after the partner is active).
      await settled(system);
      // A minute later the service account's password is changed.
      system.clock.advance(60_000);
      tenant.patch({ op: 'changePassword', password: `New-${Date.now()}-Passw0rd!` });
      await system.services.sync.runJob({ partnerId: partner.id, reason: 'scheduled' });
      assert.equal(await partnerState(system, partner.id), 'sync_failed');

      // Some time passes before support reacts.
      system.clock.advance(60_000);
      // The status page shows what happened and offers a reconnect link, sent to the primary contact.
      const statusPage = new Browser(system.url!);
      const statusLinkKey = /\/status#key=([^\s]+)/.exec((await system.catcher!.waitFor((m) => m.to.includes(email) && /reconnect/i.test(m.subject), 15_000)).text)?.[1];
      const shown = await statusPage.post('/api/status/access', { key: statusLinkKey });
      assert.equal(shown.status, 200, JSON.stringify(shown.body));
      assert.equal(shown.body.state, 'sync_failed');
      assert.equal(shown.body.canRequestReconnect, true);
      assert.equal(shown.body.attention.then, 'sign_in_again');
      assert.match(shown.body.attention.code, /^AADSTS/);
      const requested = await statusPage.post('/api/status/reconnect-link');
      assert.equal(requested.status, 200, JSON.stringify(requested.body));
      assert.match(requested.body.sentTo, /^[a-z]\*\*\*@/);
      assert.equal(await partnerState(system, partner.id), 'link_sent');
      assert.equal((await statusPage.post('/api/status/reconnect-link')).body.error.code, 'RECONNECT_NOT_NEEDED');
      const linkMails = () => system.catcher!.messages().filter((m) => m.to.includes(email) && /one-time signup link/.test(m.subject));
      await waitFor('the reconnect link email', async () => linkMails().length >= 2);
      const token = linkToken(linkMails()[0]!.text, 'signup-link'); // newest first

      const browser = new Browser(system.url!);
      assert.equal((await browser.post('/api/signup-links/claim', { token })).status, 200);
      const before = (await browser.get('/api/connect/state')).body;
      assert.equal(before.step, 'sign_in', 'the apps are kept; only the Microsoft sign-in is needed again');
      assert.equal(before.committedAt, null);
      assert.equal(before.preflight, null, 'checks of the old sign-in are not shown as current');
      assert.equal((await browser.post('/api/connect/commit')).body.error.code, 'STEP_ORDER');

      await signInWithMicrosoft(browser, tenant);
      const state = (await browser.get('/api/connect/state')).body;
      assert.equal(state.step, 'preflight');
      assert.equal(state.preflight.allRequiredPassed, true, JSON.stringify(state.preflight.checks.filter((c: { status: string }) => c.status !== 'passed')));
      const commit = await browser.post('/api/connect/commit');
      assert.equal(commit.status, 200, JSON.stringify(commit.body));
      assert.equal(commit.body.step, 'done');
      await waitFor('partner active again', async () => (await partnerState(system, partner.id)) === 'active', 60_000);
      const finding = await system.database.db.selectFrom('partner_attention').selectAll().where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
      assert.equal(finding.resolved_by, 'reconnected', 'the reconnect closes the finding that asked for it');
      const confirmations = system.catcher!.messages().filter((m) => m.to.includes(email) && /ready/i.test(m.subject));
      assert.ok(confirmations.length <= 1, 'the first-import confirmation is never sent twice');

      // A partner that needs attention (a finding only it can fix) is offered the reconnect link too:
      // signing in again, e.g. as another service account, may be the fix.
      await system.database.db.transaction().execute((tx) =>
        system.services.attention.raise(tx, partner.id, { origin: 'drift', failure: { code: 'CHECK_admin_agents', problem: 'The service account is not in AdminAgents.', fix: 'Add it to AdminAgents.', then: 'check_again' } }),
      );
      const attention = await statusPage.get('/api/status');
      assert.equal(attention.body.state, 'needs_attention');
      assert.equal(attention.body.canRequestReconnect, true);
      const again = await statusPage.post('/api/status/reconnect-link');
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(await partnerState(system, partner.id), 'link_sent');
      await waitFor('the second reconnect link email', async () => linkMails().length >= 3);
      const reconnect = new Browser(system.url!);
      assert.equal((await reconnect.post('/api/signup-links/claim', { token: linkToken(linkMails()[0]!.text, 'signup-link') })).status, 200);
      system.clock.advance(60_000);
      await signInWithMicrosoft(reconnect, tenant);
      const recommitted = await reconnect.post('/api/connect/commit');
      assert.equal(recommitted.status, 200, JSON.stringify(recommitted.body));
      await waitFor('partner active after the second reconnect', async () => (await partnerState(system, partner.id)) === 'active', 60_000);
      const findings = await system.database.db.selectFrom('partner_attention').select(['code', 'resolved_by']).where('partner_id', '=', partner.id).orderBy('opened_at').execute();
      assert.deepEqual(findings.at(-1), { code: 'CHECK_admin_agents', resolved_by: 'reconnected' });
      assert.equal((await statusPage.get('/api/status')).body.canRequestReconnect, false, 'an active partner needs no reconnect');
    });
  });
}
