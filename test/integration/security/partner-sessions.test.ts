import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HOUR } from '../../../server/lib/clock.ts';

const DAY = 24 * HOUR;
import { testBackends } from '../../support/database.ts';
import { Browser } from '../../support/http.ts';
import { claimedSignup } from '../../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../../support/system.ts';

// A partner's browser session (the signup link it claimed) ends after 12 hours without use and 14
// days after the claim whatever happens, and the partner can sign out; each end is immediate for
// every read (signup session, status page, tenant view) and for resuming the link.

for (const backend of testBackends()) {
  describe(`Security: partner session lifetimes and sign-out (${backend})`, () => {
    let system: TestSystem;

    before(async () => {
      system = await startTestSystem(backend);
    });
    after(() => system.dispose());

    /** A browser replaying a copied session cookie. */
    const replay = (session: string) => (path: string) => new Browser(system.url!).request('GET', path, { headers: { cookie: `signup_session=${session}` } });

    async function markSpent(partnerId: string) {
      await system.database.db.updateTable('one_time_tokens').set({ spent_at: system.clock.now() }).where('partner_id', '=', partnerId).where('purpose', '=', 'signup_link').where('claimed_at', 'is not', null).execute();
    }

    it('ends after 12 hours without use; use keeps it going', async () => {
      const { browser } = await claimedSignup(system);
      system.clock.advance(11 * HOUR);
      assert.equal((await browser.get('/api/signup-session')).status, 200);
      system.clock.advance(11 * HOUR);
      assert.equal((await browser.get('/api/status')).status, 200, 'used 11 hours ago: still open');
      system.clock.advance(12 * HOUR + 1000);
      const ended = await browser.get('/api/signup-session');
      assert.equal(ended.status, 404);
      assert.match(ended.body.error.message, /session has ended/);
      assert.equal((await browser.get('/api/status')).status, 404);
    });

    it('ends 14 days after the claim even when used every few hours (a completed connection too)', async () => {
      const { browser, partner } = await claimedSignup(system);
      await markSpent(partner.id);
      for (let hours = 0; hours < 14 * 24 - 6; hours += 6) {
        system.clock.advance(6 * HOUR);
        assert.equal((await browser.get('/api/tenant/summary')).status, 200, `after ${hours + 6} hours`);
      }
      system.clock.advance(6 * HOUR);
      assert.equal((await browser.get('/api/tenant/summary')).status, 404);
      // A year later nothing changed.
      system.clock.advance(385 * DAY);
      assert.equal((await browser.get('/api/tenant/customers')).status, 404);
    });

    it('sign-out ends the session at once, everywhere, and clears the cookies', async () => {
      const { browser, signupToken, email } = await claimedSignup(system);
      const session = browser.cookie('signup_session')!;
      assert.equal((await browser.get('/api/status')).status, 200);
      const out = await browser.post('/api/session/sign-out');
      assert.equal(out.status, 200);
      assert.equal(out.body.status, 'signed_out');
      assert.ok(out.headers.getSetCookie().some((c) => /^signup_session=;/.test(c)), 'the cookie is cleared');
      const copied = replay(session);
      for (const path of ['/api/signup-session', '/api/status', '/api/tenant/summary', '/api/tenant/customers', '/api/connect/state']) {
        const response = await copied(path);
        assert.ok(response.status === 404, `${path}: ${response.status}`);
      }
      // The ended session cannot resume the link either.
      const resume = await new Browser(system.url!).request('POST', '/api/signup-links/claim', { body: { token: signupToken }, headers: { cookie: `signup_session=${session}` }, csrf: false });
      assert.notEqual(resume.status, 200);
      // Nobody is connecting any more: the owner may ask for a new link, and it replaces the old one.
      assert.equal((await new Browser(system.url!).post('/api/signup-link-requests', { email })).status, 202);
      await system.catcher!.waitFor((m) => m.to.includes(email) && /one-time signup link/.test(m.subject) && !m.text.includes(signupToken), 15_000);
      // Signing out twice, or without a session, is harmless.
      assert.equal((await browser.post('/api/session/sign-out')).status, 200);
      assert.equal((await new Browser(system.url!).post('/api/session/sign-out')).status, 200);
    });
  });
}
