import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testBackends } from '../../support/database.ts';
import { linkToken, signupRequest } from '../../support/factories.ts';
import { Browser } from '../../support/http.ts';
import { claimedSignup } from '../../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../../support/system.ts';
import { activeOperator, signIn } from '../operators.helpers.ts';

// Who may issue a partner's links, and when: every issuer takes the partner row lock, a unique
// index allows one usable link per purpose, and an anonymous request cannot cut off a browser that
// is still connecting with its link.

for (const backend of testBackends()) {
  describe(`Security: one usable link per partner (${backend})`, () => {
    let system: TestSystem;

    before(async () => {
      system = await startTestSystem(backend);
    });
    after(() => system.dispose());

    async function verifiedSignup() {
      const browser = new Browser(system.url!);
      const request = signupRequest();
      const email = request.primaryContact.email;
      assert.equal((await browser.post('/api/signups', request)).status, 202);
      const verification = await system.catcher!.waitFor((m) => m.to.includes(email) && /Confirm your email/.test(m.subject), 15_000);
      assert.equal((await browser.post('/api/email-verifications', { token: linkToken(verification.text, 'verify') })).status, 200);
      const partner = await system.database.db.selectFrom('partners').selectAll().where('entra_domain', '=', request.company.entraDomain).executeTakeFirstOrThrow();
      return { email, partner };
    }

    const usableLinks = (partnerId: string, purpose: 'signup_link' | 'email_verification' = 'signup_link') =>
      system.database.db
        .selectFrom('one_time_tokens')
        .select('id')
        .where('partner_id', '=', partnerId)
        .where('purpose', '=', purpose)
        .where('revoked_at', 'is', null)
        .where('spent_at', 'is', null)
        .execute();

    it('parallel operator re-issues and self-service requests leave exactly one usable link', async () => {
      const operator = await activeOperator(system, 'support');
      const console = await signIn(system, operator);
      const partners = await Promise.all(Array.from({ length: 4 }, () => verifiedSignup()));
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(
          partners.flatMap(({ email, partner }) => [
            console.post(`/api/console/partners/${partner.id}/signup-links`, { reason: 'Partner asked on the phone' }),
            new Browser(system.url!).post('/api/signup-link-requests', { email }),
            console.post(`/api/console/partners/${partner.id}/signup-links`, { reason: 'Second operator, same moment' }),
            new Browser(system.url!).post('/api/signup-link-requests', { email }),
          ]),
        );
        assert.deepEqual(results.map((r) => r.status).filter((s) => s !== 200 && s !== 202), [], JSON.stringify(results.map((r) => r.body)));
        for (const { partner } of partners) assert.equal((await usableLinks(partner.id)).length, 1, `round ${round}: one usable link`);
      }
    });

    it('the database refuses a second usable link of one purpose', async () => {
      const { partner } = await verifiedSignup();
      const insert = () =>
        system.database.db
          .insertInto('one_time_tokens')
          .values({ partner_id: partner.id, purpose: 'signup_link', token_hash: `forged-${Math.random()}`, expires_at: new Date(Date.now() + 3_600_000), issued_by: 'test' })
          .execute();
      await assert.rejects(insert, /one_time_tokens_one_usable_idx|duplicate key|unique/i);
    });

    it('an anonymous new-link request does not revoke a link a browser is connecting with', async () => {
      const { browser, email, signupToken, partner } = await claimedSignup(system);
      const before = await usableLinks(partner.id);
      const known = await new Browser(system.url!).post('/api/signup-link-requests', { email });
      const unknown = await new Browser(system.url!).post('/api/signup-link-requests', { email: `nobody.${Date.now()}@nowhere.example` });
      assert.deepEqual({ status: known.status, body: known.body }, { status: unknown.status, body: unknown.body }, 'the answer tells nothing');

      const notice = await system.catcher!.waitFor((m) => m.to.includes(email) && /open in a browser/.test(m.subject), 15_000);
      assert.match(notice.text, /Continue in that browser/);
      assert.match(notice.text, /contact support/);
      assert.doesNotMatch(notice.text, /signup-link#token=/, 'no new link in it');
      assert.deepEqual(await usableLinks(partner.id), before, 'the claimed link is still the usable one');
      assert.equal((await browser.post('/api/signup-links/claim', { token: signupToken })).status, 200, 'the connecting browser keeps going');
      assert.equal((await browser.get('/api/signup-session')).status, 200);

      // Support can still replace it (the partner lost that browser).
      const operator = await activeOperator(system, 'support');
      const console = await signIn(system, operator);
      assert.equal((await console.post(`/api/console/partners/${partner.id}/signup-links`, { reason: 'Lost the browser' })).status, 200);
      assert.equal((await browser.post('/api/signup-links/claim', { token: signupToken })).body.error.code, 'LINK_REVOKED');
      assert.equal((await usableLinks(partner.id)).length, 1);
    });
  });
}
