import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HOUR, MINUTE } from '../../server/lib/clock.ts';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup } from '../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { activeOperator, signIn, totpCode, type TestOperator } from './operators.helpers.ts';

// Console authorisation: every console route (read from the OpenAPI document, so a route added
// later is covered) refuses without a session and with a partner's session; admin routes refuse a
// support operator; sessions end after 30 idle minutes and 12 hours; 5 failures lock for 15 minutes.

const publicRoutes = new Set(['POST /api/console/session', 'POST /api/console/invites/inspect', 'POST /api/console/invites/password', 'POST /api/console/invites/totp', 'POST /api/console/invites/totp/confirm']);

function consoleRoutes(system: TestSystem): Array<{ method: string; path: string; key: string }> {
  const spec = system.app!.swagger() as { paths: Record<string, Record<string, unknown>> };
  const routes: Array<{ method: string; path: string; key: string }> = [];
  for (const [path, methods] of Object.entries(spec.paths)) {
    if (!path.startsWith('/api/console/')) continue;
    for (const method of Object.keys(methods)) {
      const key = `${method.toUpperCase()} ${path}`;
      routes.push({ method: method.toUpperCase(), path: path.replace('{id}', randomUUID()), key });
    }
  }
  return routes;
}

/** Bodies that pass validation, so a refusal is about who asks, not what is sent. */
function validBody(key: string): unknown {
  if (key.endsWith('/operators')) return { email: 'someone@totalone.example', role: 'support' };
  if (key.endsWith('/role')) return { role: 'admin', reason: 'testing access' };
  if (key.endsWith('/replies')) return { message: 'hello there' };
  if (key.endsWith('/status')) return { status: 'handled' };
  return { reason: 'testing access' };
}

for (const backend of testBackends()) {
  describe(`Operator console: authorisation and sessions (${backend})`, () => {
    let system: TestSystem;
    let support: TestOperator;
    let admin: TestOperator;

    before(async () => {
      system = await startTestSystem(backend);
      support = await activeOperator(system, 'support');
      admin = await activeOperator(system, 'admin');
    });
    after(() => system.dispose());

    it('every console route refuses without a session and with a partner signup session (401)', async () => {
      const routes = consoleRoutes(system).filter((r) => !publicRoutes.has(r.key));
      assert.ok(routes.length >= 20, `found ${routes.length} console routes`);
      const { browser: partner } = await claimedSignup(system);
      assert.ok(partner.cookie('signup_session'));
      for (const browser of [new Browser(system.url!), partner]) {
        for (const route of routes) {
          const response = await browser.request(route.method, route.path, route.method === 'GET' ? {} : { body: validBody(route.key) });
          assert.equal(response.status, 401, `${route.key}: ${JSON.stringify(response.body)}`);
          assert.equal(response.body.error.code, 'CONSOLE_SESSION_REQUIRED', route.key);
        }
      }
      // A forged or damaged cookie is no session either.
      const forged = new Browser(system.url!);
      await forged.request('GET', '/api/console/session', { headers: { cookie: `operator_session=${'A'.repeat(43)}` } }).then((r) => assert.equal(r.status, 401));
    });

    it('admin routes refuse a support operator (403); support routes let it in', async () => {
      const browser = await signIn(system, support);
      const routes = consoleRoutes(system).filter((r) => !publicRoutes.has(r.key));
      const adminRoutes = routes.filter((r) => r.key.includes('/api/console/operators'));
      assert.equal(adminRoutes.length, 5);
      for (const route of adminRoutes) {
        const response = await browser.request(route.method, route.path, route.method === 'GET' ? {} : { body: validBody(route.key) });
        assert.equal(response.status, 403, `${route.key}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.error.code, 'ADMIN_ONLY');
      }
      for (const route of routes.filter((r) => !adminRoutes.includes(r) && r.method === 'GET')) {
        const response = await browser.get(route.path);
        assert.ok([200, 404].includes(response.status), `${route.key}: ${response.status} ${JSON.stringify(response.body)}`);
      }
      const adminBrowser = await signIn(system, admin);
      assert.equal((await adminBrowser.get('/api/console/operators')).status, 200);
    });

    it('state-changing console calls need the CSRF token', async () => {
      const browser = await signIn(system, support);
      const response = await browser.request('POST', '/api/console/session/sign-out', { csrf: false, body: {} });
      assert.equal(response.status, 403);
      assert.equal(response.body.error.code, 'CSRF_FAILED');
      assert.equal((await browser.get('/api/console/session')).status, 200);
    });

    it('a session ends after 30 idle minutes; activity keeps it alive until then', async () => {
      const browser = await signIn(system, support);
      system.clock.advance(29 * MINUTE);
      assert.equal((await browser.get('/api/console/session')).status, 200);
      system.clock.advance(29 * MINUTE);
      const alive = await browser.get('/api/console/session');
      assert.equal(alive.status, 200, 'activity moved the idle deadline');
      assert.equal(new Date(alive.body.idleExpiresAt).getTime(), system.clock.now().getTime() + 30 * MINUTE);
      system.clock.advance(30 * MINUTE);
      const expired = await browser.get('/api/console/session');
      assert.equal(expired.status, 401);
      system.clock.advance(-25 * MINUTE);
      assert.equal((await browser.get('/api/console/session')).status, 401, 'an ended session stays ended');
      system.clock.advance(25 * MINUTE);
      const events = await system.database.db.selectFrom('audit_events').select(['details']).where('action', '=', 'operator.session_expired').where('actor_id', '=', support.id).execute();
      assert.ok(events.some((e) => (e.details as { reason?: string }).reason === 'idle_timeout'));
    });

    it('a session ends 12 hours after sign-in however active it is', async () => {
      const browser = await signIn(system, support);
      const session = await browser.get('/api/console/session');
      const expiresAt = new Date(session.body.expiresAt).getTime();
      assert.equal(expiresAt - new Date(session.body.signedInAt).getTime(), 12 * HOUR);
      while (system.clock.now().getTime() + 25 * MINUTE < expiresAt) {
        system.clock.advance(25 * MINUTE);
        assert.equal((await browser.get('/api/console/session')).status, 200);
      }
      system.clock.advance(25 * MINUTE);
      assert.equal((await browser.get('/api/console/session')).status, 401);
      const events = await system.database.db.selectFrom('audit_events').select(['details']).where('action', '=', 'operator.session_expired').where('actor_id', '=', support.id).execute();
      assert.ok(events.some((e) => (e.details as { reason?: string }).reason === 'absolute_timeout'));
    });

    it('locks the account for 15 minutes after 5 failed sign-ins, and audits every attempt', async () => {
      const victim = await activeOperator(system, 'support');
      const browser = new Browser(system.url!);
      const attempt = (password: string, code?: string) => {
        system.clock.advance(30_000);
        return browser.post('/api/console/session', { email: victim.email, password, code: code ?? totpCode(victim.secret, system.clock.now()) });
      };
      for (let i = 1; i <= 4; i++) {
        const failed = await attempt('wrong password number');
        assert.equal(failed.status, 401, `attempt ${i}`);
        assert.equal(failed.body.error.code, 'SIGN_IN_FAILED');
      }
      const fifth = await attempt(victim.password, '000000');
      assert.equal(fifth.status, 429);
      assert.equal(fifth.body.error.code, 'ACCOUNT_LOCKED');
      const locked = await attempt(victim.password);
      assert.equal(locked.status, 429, 'the right credentials do not open a locked account');
      assert.equal(locked.body.error.code, 'ACCOUNT_LOCKED');
      assert.ok(Number(locked.headers.get('retry-after')) > 0);

      const unknown = await browser.post('/api/console/session', { email: 'nobody@totalone.example', password: 'whatever password', code: '123456' });
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.error.code, 'SIGN_IN_FAILED');

      system.clock.advance(15 * MINUTE);
      const ok = await attempt(victim.password);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));

      const adminBrowser = await signIn(system, admin);
      const log = await adminBrowser.get(`/api/console/audit-events?action=operator.*&actorId=${victim.id}&limit=200`);
      const actions = log.body.items.map((i: { action: string }) => i.action);
      assert.equal(actions.filter((a: string) => a === 'operator.sign_in_failed').length, 5);
      assert.equal(actions.filter((a: string) => a === 'operator.locked').length, 1);
      assert.ok(actions.includes('operator.sign_in_refused_locked'));
      assert.ok(actions.includes('operator.signed_in'));
      const failedEvent = log.body.items.find((i: { action: string }) => i.action === 'operator.sign_in_failed');
      assert.equal(failedEvent.actor, victim.email);
      assert.equal(JSON.stringify(log.body).includes('wrong password number'), false, 'attempted passwords are never logged');
    });

    it('rate-limits sign-in attempts per email in the database, whether or not the email exists', async () => {
      const browser = new Browser(system.url!);
      const target = `ghost.${Date.now()}@totalone.example`;
      for (let i = 1; i <= 20; i++) {
        const refused = await browser.post('/api/console/session', { email: target, password: 'some password here', code: '123456' });
        // An unknown email locks after 5 failures exactly like a known account.
        assert.equal(refused.status, i < 5 ? 401 : 429, `attempt ${i}`);
        assert.equal(refused.body.error.code, i < 5 ? 'SIGN_IN_FAILED' : 'ACCOUNT_LOCKED', `attempt ${i}`);
      }
      const limited = await browser.post('/api/console/session', { email: target.toUpperCase(), password: 'some password here', code: '123456' });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'RATE_LIMITED');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      system.clock.advance(16 * MINUTE);
      assert.equal((await browser.post('/api/console/session', { email: target, password: 'some password here', code: '123456' })).status, 401);
    });

    it('a new sign-in in the same browser ends the session it had', async () => {
      const browser = await signIn(system, support);
      const first = browser.cookie('operator_session')!;
      await signIn(system, support, browser);
      assert.notEqual(browser.cookie('operator_session'), first);
      assert.equal((await browser.get('/api/console/session')).status, 200);
      const old = await new Browser(system.url!).request('GET', '/api/console/session', { headers: { cookie: `operator_session=${first}` } });
      assert.equal(old.status, 401);
    });

    it('signs out one browser, or every session of the operator', async () => {
      const first = await signIn(system, admin);
      const second = await signIn(system, admin);
      const third = await signIn(system, admin);
      const out = await first.post('/api/console/session/sign-out');
      assert.equal(out.status, 200);
      assert.equal(out.body.sessionsEnded, 1);
      assert.equal((await first.get('/api/console/session')).status, 401);
      assert.equal((await second.get('/api/console/session')).status, 200);
      const everywhere = await second.post('/api/console/session/sign-out-everywhere');
      assert.equal(everywhere.status, 200);
      assert.ok(everywhere.body.sessionsEnded >= 2);
      assert.equal((await second.get('/api/console/session')).status, 401);
      assert.equal((await third.get('/api/console/session')).status, 401);
      const events = await system.database.db.selectFrom('audit_events').select(['action']).where('actor_id', '=', admin.id).where('action', 'in', ['operator.signed_out', 'operator.signed_out_everywhere']).execute();
      assert.equal(events.length, 2);
    });
  });

  describe(`Operator console: https cookie (${backend})`, () => {
    it('uses a __Host- cookie, Secure, HttpOnly, SameSite=Strict, when the public URL is https', async () => {
      const system = await startTestSystem(backend, { env: { PUBLIC_URL: 'https://signup.totalone.example' } });
      try {
        const operator = await activeOperator(system, 'support');
        const browser = new Browser(system.url!);
        system.clock.advance(30_000);
        const response = await browser.post('/api/console/session', { email: operator.email, password: operator.password, code: totpCode(operator.secret, system.clock.now()) });
        assert.equal(response.status, 200, JSON.stringify(response.body));
        const cookie = response.headers.getSetCookie().find((c) => c.startsWith('__Host-operator_session='));
        assert.ok(cookie, response.headers.getSetCookie().join(' | '));
        assert.match(cookie!, /; Secure/);
        assert.match(cookie!, /; HttpOnly/);
        assert.match(cookie!, /; SameSite=Strict/);
        assert.match(cookie!, /; Path=\//);
        assert.doesNotMatch(cookie!, /Domain=/i);
        assert.equal((await browser.get('/api/console/session')).status, 200);
      } finally {
        await system.dispose();
      }
    });
  });
}
