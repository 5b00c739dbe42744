import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HOUR } from '../../server/lib/clock.ts';
import { testBackends } from '../support/database.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { settled } from '../support/settled.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

for (const backend of testBackends()) {
  describe(`Step 1 signup over HTTP (${backend})`, () => {
    let system: TestSystem;
    let browser: Browser;

    before(async () => {
      system = await startTestSystem(backend);
      browser = new Browser(system.url!);
    });
    after(() => system.dispose());

    const mailTo = (address: string, subject: RegExp) =>
      system.catcher!.waitFor((m) => m.to.includes(address) && subject.test(m.subject), 15_000);

    async function signUpAndVerify() {
      const request = signupRequest();
      const email = request.primaryContact.email;
      assert.equal((await browser.post('/api/signups', request)).status, 202);
      const verification = await mailTo(email, /Confirm your email/);
      const verifyToken = linkToken(verification.text, 'verify');
      const verified = await browser.post('/api/email-verifications', { token: verifyToken });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      const linkMail = await mailTo(email, /one-time signup link/);
      return { request, email, verifyToken, signupToken: linkToken(linkMail.text, 'signup-link'), linkMail, verified };
    }

    it('signs up, sends the verification email with text and HTML parts, verifies and sends the signup link', async () => {
      const request = signupRequest({ secondaryContact: { firstName: 'Tom', lastName: 'Ruiz', jobTitle: 'IT lead', email: 'tom@fabrikam.example', phone: '+34 612 345 678' } });
      const response = await browser.post('/api/signups', request);
      assert.equal(response.status, 202);
      assert.equal(response.body.status, 'accepted');

      const verification = await mailTo(request.primaryContact.email, /Confirm your email/);
      assert.match(verification.html, /Verify email/);
      assert.match(verification.text, /Verify email: http:\/\/127\.0\.0\.1:\d+\/verify#token=/);
      assert.match(verification.messageId, /^<verify:[0-9a-f-]+@127\.0\.0\.1>$/);

      const verified = await browser.post('/api/email-verifications', { token: linkToken(verification.text, 'verify') });
      assert.equal(verified.status, 200);
      assert.equal(verified.body.companyName, request.company.legalName);
      assert.equal(verified.body.signupLinkSentTo, request.primaryContact.email);
      const expiresIn = new Date(verified.body.signupLinkExpiresAt).getTime() - system.clock.now().getTime();
      assert.equal(expiresIn, 48 * HOUR);

      const linkMail = await mailTo(request.primaryContact.email, /one-time signup link/);
      assert.match(linkMail.text, /works once/);
      assert.match(linkMail.text, /48 hours/);
      assert.match(linkMail.text, /Step 2/);

      const partner = await system.database.db.selectFrom('partners').selectAll().where('legal_name', '=', request.company.legalName).executeTakeFirstOrThrow();
      assert.equal(partner.state, 'link_sent');
      assert.ok(partner.email_verified_at);
      const contacts = await system.database.db.selectFrom('contacts').select(['role', 'email', 'phone']).where('partner_id', '=', partner.id).orderBy('role').execute();
      assert.deepEqual(contacts, [
        { role: 'primary', email: request.primaryContact.email, phone: '+49301234567' },
        { role: 'secondary', email: 'tom@fabrikam.example', phone: '+34612345678' },
      ]);
    });

    it('answers a repeated or duplicate signup exactly like a new one, and helps the known address by email', async () => {
      const first = signupRequest();
      const firstResponse = await browser.post('/api/signups', first);
      await mailTo(first.primaryContact.email, /Confirm your email/);

      const again = await browser.post('/api/signups', { ...first, company: { ...first.company, legalName: 'Another name Ltd' } });
      assert.equal(again.status, firstResponse.status);
      assert.deepEqual(again.body, firstResponse.body);
      const help = await mailTo(first.primaryContact.email, /already have a TotalOne signup in progress/);
      assert.match(help.text, /Continue my signup/);

      const sameTenant = signupRequest({ company: { entraDomain: first.company.entraDomain } });
      const duplicate = await browser.post('/api/signups', sameTenant);
      assert.deepEqual({ status: duplicate.status, body: duplicate.body }, { status: firstResponse.status, body: firstResponse.body });
      await mailTo(sameTenant.primaryContact.email, /already signing up/);
      const partners = await system.database.db.selectFrom('partners').select('id').where('entra_domain', '=', first.company.entraDomain).execute();
      assert.equal(partners.length, 1);
    });

    it('refuses bad input with field-level errors and never a 500', async () => {
      const bad = signupRequest({ company: { country: 'XX', entraDomain: 'contoso.com', mpnId: '12ab' }, primaryContact: { phone: 'ask for Jana', email: 'not-an-email' } });
      const response = await browser.post('/api/signups', { ...bad, secondaryContact: { ...bad.primaryContact, email: 'Same@Fabrikam.example', phone: '+4930123456' } });
      assert.equal(response.status, 400);
      assert.equal(response.body.error.code, 'VALIDATION_FAILED');
      const paths = response.body.error.fields.map((f: { path: string }) => f.path).sort();
      assert.deepEqual(paths, ['company.country', 'company.entraDomain', 'company.mpnId', 'primaryContact.email', 'primaryContact.phone'].sort());
      for (const field of response.body.error.fields) assert.ok(field.message.length > 15, `message for ${field.path} explains the fix`);

      const sameEmail = signupRequest();
      const duplicateContact = await browser.post('/api/signups', { ...sameEmail, secondaryContact: { ...sameEmail.primaryContact, email: sameEmail.primaryContact.email.toUpperCase() } });
      assert.equal(duplicateContact.status, 400);
      assert.deepEqual(duplicateContact.body.error.fields.map((f: { path: string }) => f.path), ['secondaryContact.email']);

      const cases: Array<[string, { raw?: string; body?: unknown; headers?: Record<string, string> }, number, string]> = [
        ['malformed JSON', { raw: '{"company": ', headers: { 'content-type': 'application/json' } }, 400, 'MALFORMED_JSON'],
        ['wrong types', { body: { company: 'ACME', primaryContact: [1], secondaryContact: 7 } }, 400, 'VALIDATION_FAILED'],
        ['an array body', { body: [1, 2] }, 400, 'VALIDATION_FAILED'],
        ['a huge body', { raw: JSON.stringify({ company: { legalName: 'x'.repeat(200_000) } }), headers: { 'content-type': 'application/json' } }, 413, 'BODY_TOO_LARGE'],
        ['a form body', { raw: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
        ['too long fields', { body: signupRequest({ company: { legalName: 'y'.repeat(201) } }) }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [name, init, status, code] of cases) {
        const result = await browser.request('POST', '/api/signups', init);
        assert.equal(result.status, status, `${name}: ${JSON.stringify(result.body)}`);
        assert.equal(result.body.error.code, code, name);
        assert.ok(result.body.error.message.length > 10, name);
      }
      const wrongTypes = await browser.request('POST', '/api/signups', { body: { company: 'ACME' } });
      assert.ok(wrongTypes.body.error.fields.some((f: { path: string; message: string }) => f.path === 'primaryContact' && /required/.test(f.message)));
    });

    it('refuses state changes without the CSRF token', async () => {
      const stranger = new Browser(system.url!);
      const response = await stranger.request('POST', '/api/signups', { body: signupRequest(), csrf: false });
      assert.equal(response.status, 403);
      assert.equal(response.body.error.code, 'CSRF_FAILED');
    });

    it('opening a link (GET, HEAD, inspect) changes nothing, however often', async () => {
      const { email } = await (async () => {
        const request = signupRequest();
        await browser.post('/api/signups', request);
        return { email: request.primaryContact.email };
      })();
      const verification = await mailTo(email, /Confirm your email/);
      const token = linkToken(verification.text, 'verify');
      const before = await system.database.db.selectFrom('one_time_tokens').selectAll().orderBy('created_at').execute();
      for (let i = 0; i < 3; i++) {
        for (const method of ['GET', 'HEAD']) {
          const page = await browser.request(method, `/verify`);
          assert.ok([200, 404].includes(page.status));
        }
      }
      const after = await system.database.db.selectFrom('one_time_tokens').selectAll().orderBy('created_at').execute();
      assert.deepEqual(after, before);
      assert.equal((await browser.post('/api/email-verifications', { token })).status, 200);

      const linkMail = await mailTo(email, /one-time signup link/);
      const signupToken = linkToken(linkMail.text, 'signup-link');
      const snapshot = async () => system.database.db.selectFrom('one_time_tokens').selectAll().where('purpose', '=', 'signup_link').execute();
      const beforeInspect = await snapshot();
      for (let i = 0; i < 5; i++) {
        const view = await browser.post('/api/signup-links/inspect', { token: signupToken });
        assert.equal(view.status, 200);
        assert.equal(view.body.status, 'open');
      }
      assert.deepEqual(await snapshot(), beforeInspect);
    });

    it('32 parallel verifications of one link: one success, one state change, one signup-link email', async () => {
      const request = signupRequest();
      await browser.post('/api/signups', request);
      const token = linkToken((await mailTo(request.primaryContact.email, /Confirm your email/)).text, 'verify');
      const results = await Promise.all(Array.from({ length: 32 }, () => browser.post('/api/email-verifications', { token })));
      const statuses = results.map((r) => r.status).sort();
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 409).length, 31);
      assert.ok(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'LINK_ALREADY_USED'));

      const partner = await system.database.db.selectFrom('partners').select(['id', 'state']).where('entra_domain', '=', request.company.entraDomain).executeTakeFirstOrThrow();
      const events = await system.database.db.selectFrom('audit_events').select('action').where('partner_id', '=', partner.id).where('action', '=', 'email.verified').execute();
      assert.equal(events.length, 1);
      const links = await system.database.db.selectFrom('one_time_tokens').select('id').where('partner_id', '=', partner.id).where('purpose', '=', 'signup_link').execute();
      assert.equal(links.length, 1);
      await mailTo(request.primaryContact.email, /one-time signup link/);
      await settled(system);
      const linkMails = system.catcher!.messages().filter((m) => m.to.includes(request.primaryContact.email) && /one-time signup link/.test(m.subject));
      assert.equal(linkMails.length, 1);
    });

    it('32 parallel claims of one signup link from different browsers: one wins, the rest are refused', async () => {
      const { email, signupToken } = await signUpAndVerify();
      const browsers = Array.from({ length: 32 }, () => new Browser(system.url!));
      const results = await Promise.all(browsers.map((b) => b.post('/api/signup-links/claim', { token: signupToken })));
      const winners = results.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status)));
      assert.ok(results.filter((r) => r.status !== 200).every((r) => r.status === 409 && r.body.error.code === 'LINK_CLAIMED_ELSEWHERE'));
      const winner = browsers[results.indexOf(winners[0]!)]!;

      // The winning browser can resume; a loser cannot.
      assert.equal((await winner.post('/api/signup-links/claim', { token: signupToken })).status, 200);
      assert.equal((await winner.post('/api/signup-links/inspect', { token: signupToken })).body.status, 'claimed_here');
      const session = await winner.get('/api/signup-session');
      assert.equal(session.status, 200);
      assert.equal(session.body.state, 'connecting');
      const loser = browsers.find((b) => b !== winner)!;
      assert.equal((await loser.post('/api/signup-links/inspect', { token: signupToken })).body.error.code, 'LINK_CLAIMED_ELSEWHERE');
      assert.equal((await loser.get('/api/signup-session')).status, 404);

      await mailTo(email, /signup link was just used/);
      await settled(system);
      assert.equal(system.catcher!.messages().filter((m) => m.to.includes(email) && /just used/.test(m.subject)).length, 1);
      const partnerRow = await system.database.db.selectFrom('contacts').select('partner_id').where('email', '=', email).executeTakeFirstOrThrow();
      const claims = await system.database.db.selectFrom('audit_events').select('id').where('action', '=', 'signup_link.claimed').where('partner_id', '=', partnerRow.partner_id).execute();
      assert.equal(claims.length, 1);
    });

    it('a signup link is valid just before 48 hours and refused just after', async () => {
      const { signupToken, verified, request } = await signUpAndVerify();
      const expiresAt = new Date(verified.body.signupLinkExpiresAt).getTime();
      const start = system.clock.now();
      try {
        system.clock.set(new Date(expiresAt - 1));
        assert.equal((await browser.post('/api/signup-links/inspect', { token: signupToken })).status, 200);
        system.clock.set(new Date(expiresAt));
        const expired = await browser.post('/api/signup-links/inspect', { token: signupToken });
        assert.equal(expired.status, 410);
        assert.equal(expired.body.error.code, 'LINK_EXPIRED');
        const claim = await new Browser(system.url!).post('/api/signup-links/claim', { token: signupToken });
        assert.equal(claim.status, 410);
        assert.equal(claim.body.error.code, 'LINK_EXPIRED');
        assert.ok((await system.services.signup.expireLapsedLinks()) >= 1);
        const partner = await system.database.db.selectFrom('partners').select('state').where('legal_name', '=', request.company.legalName).executeTakeFirstOrThrow();
        assert.equal(partner.state, 'link_expired');
      } finally {
        system.clock.set(start);
      }
    });

    it('a new link revokes the previous one; unknown and damaged links get their own answers', async () => {
      const { email, signupToken } = await signUpAndVerify();
      const request = await browser.post('/api/signup-link-requests', { email });
      assert.equal(request.status, 202);
      const unknown = await browser.post('/api/signup-link-requests', { email: 'nobody@nowhere.example' });
      assert.deepEqual({ status: unknown.status, body: unknown.body }, { status: request.status, body: request.body });

      await system.catcher!.waitFor((m) => m.to.includes(email) && /one-time signup link/.test(m.subject) && !m.text.includes(signupToken), 15_000);
      const old = await browser.post('/api/signup-links/inspect', { token: signupToken });
      assert.equal(old.status, 410);
      assert.equal(old.body.error.code, 'LINK_REVOKED');

      const missing = await browser.post('/api/signup-links/inspect', { token: 'A'.repeat(43) });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'LINK_UNKNOWN');
      const damaged = await browser.post('/api/signup-links/inspect', { token: 'short' });
      assert.equal(damaged.status, 400);
      assert.match(damaged.body.error.fields[0].message, /incomplete or damaged/);
    });

    it('a used signup link is refused for good once spent', async () => {
      const { signupToken } = await signUpAndVerify();
      const hashRow = await system.database.db.selectFrom('one_time_tokens').select('id').where('purpose', '=', 'signup_link').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      await system.database.db.updateTable('one_time_tokens').set({ spent_at: system.clock.now() }).where('id', '=', hashRow.id).execute();
      const spent = await browser.post('/api/signup-links/inspect', { token: signupToken });
      assert.equal(spent.status, 410);
      assert.equal(spent.body.error.code, 'LINK_SPENT');
    });

    it('resend verification: same answer for known and unknown addresses, a new link replaces the old', async () => {
      const request = signupRequest();
      await browser.post('/api/signups', request);
      const first = await mailTo(request.primaryContact.email, /Confirm your email/);
      const known = await browser.post('/api/verification-emails', { email: request.primaryContact.email });
      const unknown = await browser.post('/api/verification-emails', { email: 'someone@else.example' });
      assert.deepEqual({ s: known.status, b: known.body }, { s: unknown.status, b: unknown.body });
      const second = await system.catcher!.waitFor((m) => m.to.includes(request.primaryContact.email) && /Confirm your email/.test(m.subject) && m.id !== first.id, 15_000);
      const revoked = await browser.post('/api/email-verifications', { token: linkToken(first.text, 'verify') });
      assert.equal(revoked.status, 410);
      assert.equal(revoked.body.error.code, 'LINK_REVOKED');
      assert.equal((await browser.post('/api/email-verifications', { token: linkToken(second.text, 'verify') })).status, 200);
    });

    it('stores a support request, links it to the partner and acknowledges it by email', async () => {
      const { email } = await signUpAndVerify();
      const partner = await system.database.db.selectFrom('partners').innerJoin('contacts', 'contacts.partner_id', 'partners.id').select(['partners.id', 'partners.reference']).where('contacts.email', '=', email).executeTakeFirstOrThrow();
      const response = await browser.post('/api/support-requests', { name: 'Jana Novak', email: 'other@fabrikam.example', message: 'I did not receive my signup link yet.', signupReference: partner.reference.toLowerCase() });
      assert.equal(response.status, 201);
      assert.match(response.body.reference, /^SR-/);
      const stored = await system.database.db.selectFrom('support_requests').selectAll().where('reference', '=', response.body.reference).executeTakeFirstOrThrow();
      assert.equal(stored.partner_id, partner.id);
      assert.equal(stored.status, 'open');
      const ack = await mailTo('other@fabrikam.example', new RegExp(response.body.reference));
      assert.doesNotMatch(ack.text, /did not receive my signup link/, 'not a contact address: the message is not quoted');
      const invalid = await browser.post('/api/support-requests', { name: 'J', email: 'x', message: 'short' });
      assert.equal(invalid.status, 400);
      assert.deepEqual(invalid.body.error.fields.map((f: { path: string }) => f.path).sort(), ['email', 'message', 'name']);
    });
  });
}
