import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MINUTE } from '../../../server/lib/clock.ts';
import { testBackends } from '../../support/database.ts';
import { Browser } from '../../support/http.ts';
import { claimedSignup } from '../../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../../support/system.ts';
import { activeOperator, signIn, totpCode } from '../operators.helpers.ts';

// Attacks on the front door, each reproduced through HTTP: CSRF around a percent-encoded path,
// a TOTP code replayed in parallel, lockout raced with parallel wrong passwords and told apart
// from unknown emails, and a session cookie planted before a signup link is claimed.

for (const backend of testBackends()) {
  describe(`Security: CSRF, sign-in races, session fixation (${backend})`, () => {
    let system: TestSystem;

    before(async () => {
      system = await startTestSystem(backend);
    });
    after(() => system.dispose());

    const supportBody = { name: 'Mallory Example', email: 'mallory@example.com', message: 'A message long enough to be accepted.' };

    it('refuses a state change without the CSRF token however the path is spelled', async () => {
      const anonymous = new Browser(system.url!);
      for (const path of ['/api/support-requests', '/%61pi/support-requests', '/%61%70%69/support-requests', '/api/support%2Drequests', '/api/support-requests/']) {
        const response = await anonymous.request('POST', path, { body: supportBody, csrf: false });
        assert.equal(response.status, 403, `${path}: ${response.status} ${JSON.stringify(response.body)}`);
        assert.equal(response.body.error.code, 'CSRF_FAILED');
      }
      const stored = await system.database.db.selectFrom('support_requests').select('id').where('email', '=', supportBody.email).execute();
      assert.equal(stored.length, 0, 'nothing was stored');
      // With the token, the same encoded path is the same route and works.
      const withToken = await anonymous.request('POST', '/%61pi/support-requests', { body: supportBody });
      assert.equal(withToken.status, 201, JSON.stringify(withToken.body));
    });

    it('a cross-site form to an encoded console path cannot end an admin\u2019s sessions', async () => {
      const admin = await activeOperator(system, 'admin');
      const browser = await signIn(system, admin);
      // What a same-site auto-submitting form sends: the session cookie, no token header.
      const forged = await browser.request('POST', '/%61pi/console/session/sign-out-everywhere', { csrf: false, headers: { 'content-type': 'application/x-www-form-urlencoded' }, raw: 'x=1' });
      assert.equal(forged.status, 403, JSON.stringify(forged.body));
      assert.equal((await browser.get('/api/console/session')).status, 200, 'the admin is still signed in');
    });

    it('8 parallel sign-ins with one TOTP code make exactly one session', async () => {
      const operator = await activeOperator(system, 'support');
      system.clock.advance(30_000);
      const code = totpCode(operator.secret, system.clock.now());
      const attempts = await Promise.all(
        Array.from({ length: 8 }, () => new Browser(system.url!).post('/api/console/session', { email: operator.email, password: operator.password, code })),
      );
      const statuses = attempts.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(', ')}`);
      assert.ok(statuses.every((s) => s === 200 || s === 401 || s === 429), `statuses: ${statuses.join(', ')}`);
      const sessions = await system.database.db.selectFrom('operator_sessions').select('id').where('operator_id', '=', operator.id).execute();
      assert.equal(sessions.length, 1);
      // The replays count as failed attempts (they may have locked the account); it opens again.
      system.clock.advance(16 * MINUTE);
      await signIn(system, operator);
    });

    it('19 parallel wrong passwords get at most 5 password checks; the account locks', async () => {
      const operator = await activeOperator(system, 'support');
      system.clock.advance(30_000);
      const attempts = await Promise.all(
        Array.from({ length: 19 }, (_, i) => new Browser(system.url!).post('/api/console/session', { email: operator.email, password: `wrong password ${i}`, code: '000000' })),
      );
      const failed = attempts.filter((a) => a.status === 401).length;
      const locked = attempts.filter((a) => a.status === 429 && a.body.error.code === 'ACCOUNT_LOCKED').length;
      assert.equal(failed, 4, attempts.map((a) => a.status).join(','));
      assert.equal(locked, 15);
      const events = await system.database.db.selectFrom('audit_events').select(['action']).where('actor_id', '=', operator.id).execute();
      assert.equal(events.filter((e) => e.action === 'operator.sign_in_failed').length, 5, 'five password checks, no more');
      assert.equal(events.filter((e) => e.action === 'operator.sign_in_refused_locked').length, 14);
      assert.equal(events.filter((e) => e.action === 'operator.locked').length, 1);
      // The right credentials do not open it early; after 15 minutes they do.
      system.clock.advance(30_000);
      const early = await new Browser(system.url!).post('/api/console/session', { email: operator.email, password: operator.password, code: totpCode(operator.secret, system.clock.now()) });
      assert.equal(early.status, 429);
      system.clock.advance(15 * MINUTE);
      await signIn(system, operator);
    });

    it('an unknown email answers exactly like a known one, lockout included', async () => {
      const operator = await activeOperator(system, 'support');
      const answers = async (email: string) => {
        const out: string[] = [];
        for (let i = 0; i < 7; i++) {
          const response = await new Browser(system.url!).post('/api/console/session', { email, password: 'not the password at all', code: '123456' });
          out.push(`${response.status} ${response.body.error.code} ${response.body.error.message}`);
        }
        return out;
      };
      const known = await answers(operator.email);
      const unknown = await answers(`nobody.${Date.now()}@totalone.example`);
      assert.deepEqual(unknown, known);
      assert.match(known[4]!, /^429 ACCOUNT_LOCKED/);
      assert.match(known[6]!, /^429 ACCOUNT_LOCKED/);
      system.clock.advance(16 * MINUTE);
    });

    it('a session cookie planted before the claim is not the partner\u2019s session', async () => {
      const planted = 'P'.repeat(43);
      const victim = new Browser(system.url!);
      // The attacker set the cookie in the victim's browser (e.g. through a sibling subdomain).
      await victim.request('GET', '/api/csrf-token');
      (victim as unknown as { cookies: Map<string, string> }).cookies.set('signup_session', planted);
      const { partner } = await claimedSignup(system, victim);
      const issued = victim.cookie('signup_session');
      assert.ok(issued && issued !== planted, 'the claim issued a fresh session id');
      const attacker = new Browser(system.url!);
      const stolen = await attacker.request('GET', '/api/signup-session', { headers: { cookie: `signup_session=${planted}` } });
      assert.equal(stolen.status, 404, 'the planted id reads nothing');
      const own = await victim.get('/api/signup-session');
      assert.equal(own.status, 200);
      assert.equal(own.body.reference, partner.reference);
    });

    it('the browser that claimed a link resumes it with its own session; others are refused', async () => {
      const { browser, signupToken } = await claimedSignup(system);
      const before = browser.cookie('signup_session');
      const again = await browser.post('/api/signup-links/claim', { token: signupToken });
      assert.equal(again.status, 200);
      assert.equal(browser.cookie('signup_session'), before);
      const other = await new Browser(system.url!).post('/api/signup-links/claim', { token: signupToken });
      assert.equal(other.status, 409);
      assert.equal(other.body.error.code, 'LINK_CLAIMED_ELSEWHERE');
    });
  });
}
