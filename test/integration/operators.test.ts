import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { testBackends } from '../support/database.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/sync.ts';
import { activeOperator, operatorEmail, signIn, strongPassword, totpCode, waitForInvite } from './operators.helpers.ts';

// Operator console: the operator lifecycle through HTTP (invite, password, TOTP, sign-in), a partner stuck
// at "link sent" getting a new link (the old one dies), and a support request answered by email.

for (const backend of testBackends()) {
  describe(`Operator console: lifecycle (${backend})`, () => {
    let system: TestSystem;

    before(async () => {
      system = await startTestSystem(backend);
    });
    after(() => system.dispose());

    const mailTo = (address: string, subject: RegExp) => system.catcher!.waitFor((m) => m.to.includes(address) && subject.test(m.subject), 15_000);

    it('creates an operator (CLI service), accepts the invitation with password policy and TOTP, signs in', async () => {
      const email = operatorEmail('jana');
      const created = await system.services.operatorAuth.createOperator({ email, role: 'admin' }, { type: 'system', label: 'cli:test' });
      assert.equal(created.operator.status, 'invited');
      const token = await waitForInvite(system, email);
      const browser = new Browser(system.url!);

      const inspected = await browser.post('/api/console/invites/inspect', { token });
      assert.equal(inspected.status, 200, JSON.stringify(inspected.body));
      assert.deepEqual({ email: inspected.body.email, role: inspected.body.role, step: inspected.body.step }, { email, role: 'admin', step: 'password' });

      for (const [password, pattern] of [
        ['short pw 1', /at least 12/],
        ['password1234', /most common/],
        [`x${email}x`, /email address/],
        [`${email.split('@')[0]}-secure-2026`, /email address/],
      ] as const) {
        const refused = await browser.post('/api/console/invites/password', { token, password });
        assert.equal(refused.status, 400, password);
        assert.equal(refused.body.error.fields[0].path, 'password');
        assert.match(refused.body.error.fields[0].message, pattern);
      }
      assert.equal((await browser.post('/api/console/invites/totp', { token })).body.error.code, 'STEP_ORDER');
      assert.equal((await browser.post('/api/console/invites/password', { token, password: strongPassword })).status, 200);
      assert.equal((await browser.post('/api/console/invites/inspect', { token })).body.step, 'totp');

      const enrol = await browser.post('/api/console/invites/totp', { token });
      assert.equal(enrol.status, 200);
      assert.match(enrol.body.otpauthUri, /^otpauth:\/\/totp\/TotalOne%20Console:.*secret=[A-Z2-7]+/);
      assert.equal(enrol.body.account, email);
      const wrong = await browser.post('/api/console/invites/totp/confirm', { token, code: totpCode(enrol.body.secret, new Date(system.clock.now().getTime() - 10 * 60_000)) });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error.fields[0].path, 'code');
      const confirmed = await browser.post('/api/console/invites/totp/confirm', { token, code: totpCode(enrol.body.secret, system.clock.now()) });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.equal((await browser.post('/api/console/invites/inspect', { token })).body.error.code, 'INVITE_USED');

      // Stored: argon2id hash, sealed TOTP secret; nothing plain.
      const row = await system.database.db.selectFrom('operators').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
      assert.equal(row.status, 'active');
      assert.match(row.password_hash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.ok(!row.totp_secret!.includes(enrol.body.secret));
      assert.match(row.totp_secret!, /^v2\.\d+\./, 'sealed under a version of the app keyring');
      const invites = await system.database.db.selectFrom('operator_invites').select(['token_hash']).where('operator_id', '=', row.id).execute();
      assert.ok(invites.every((i) => i.token_hash !== token && /^[0-9a-f]{64}$/.test(i.token_hash)));

      // The same code twice is refused (replay), the next step's code signs in.
      const replay = await browser.post('/api/console/session', { email, password: strongPassword, code: totpCode(enrol.body.secret, system.clock.now()) });
      assert.equal(replay.status, 401);
      system.clock.advance(30_000);
      const session = await browser.post('/api/console/session', { email: email.toUpperCase(), password: strongPassword, code: totpCode(enrol.body.secret, system.clock.now()) });
      assert.equal(session.status, 200, JSON.stringify(session.body));
      assert.equal(session.body.operator.role, 'admin');
      const setCookie = session.headers.getSetCookie().find((c) => c.startsWith('operator_session='))!;
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Strict/);
      assert.match(setCookie, /Path=\//);
      const value = browser.cookie('operator_session')!;
      const stored = await system.database.db.selectFrom('operator_sessions').select(['id']).where('operator_id', '=', row.id).execute();
      assert.equal(stored.length, 1);
      assert.notEqual(stored[0]!.id, value);
      assert.match(stored[0]!.id, /^[0-9a-f]{64}$/);
      const me = await browser.get('/api/console/session');
      assert.equal(me.status, 200);
      assert.equal(me.body.operator.email, email);
      assert.equal(me.headers.get('cache-control'), 'no-store');

      const log = await browser.get(`/api/console/audit-events?action=operator.&actorId=${row.id}`);
      const actions = log.body.items.map((i: { action: string }) => i.action);
      for (const action of ['operator.signed_in', 'operator.activated', 'operator.password_set']) assert.ok(actions.includes(action), `${action} in ${actions}`);
      const logs = system.logLines.join('\n');
      for (const secret of [strongPassword, enrol.body.secret, token, value]) assert.ok(!logs.includes(secret), 'no password, TOTP secret, invite token or session id in the logs');
    });

    it('finds a partner stuck at link_sent, issues a new link: the old one is refused, the new one works', async () => {
      const operator = await activeOperator(system, 'support');
      const console = await signIn(system, operator);

      const partnerBrowser = new Browser(system.url!);
      const request = signupRequest();
      const email = request.primaryContact.email;
      assert.equal((await partnerBrowser.post('/api/signups', request)).status, 202);
      const verification = await mailTo(email, /Confirm your email/);
      assert.equal((await partnerBrowser.post('/api/email-verifications', { token: linkToken(verification.text, 'verify') })).status, 200);
      const firstLink = linkToken((await mailTo(email, /one-time signup link/)).text, 'signup-link');

      const stuck = await console.get(`/api/console/partners?state=link_sent&q=${encodeURIComponent(request.company.entraDomain)}`);
      assert.equal(stuck.status, 200, JSON.stringify(stuck.body));
      assert.equal(stuck.body.total, 1);
      const summary = stuck.body.items[0];
      assert.equal(summary.companyName, request.company.legalName);
      assert.equal(summary.primaryContact.email, email);
      for (const q of [request.company.legalName.slice(0, 14), email, request.company.mpnId]) {
        const found = await console.get(`/api/console/partners?q=${encodeURIComponent(q)}&limit=100`);
        assert.ok(found.body.items.some((i: { id: string }) => i.id === summary.id), q);
      }
      const detail = await console.get(`/api/console/partners/${summary.id}`);
      assert.equal(detail.status, 200, JSON.stringify(detail.body));
      assert.deepEqual(detail.body.availableActions, ['issue_signup_link', 'suspend', 'offboard']);
      assert.equal(detail.body.links.filter((l: { purpose: string; status: string }) => l.purpose === 'signup_link' && l.status === 'open').length, 1);
      assert.ok(detail.body.timeline.some((t: { action: string }) => t.action === 'signup_link.issued'));
      assert.ok(detail.body.emails.some((e: { template: string }) => e.template === 'signup_link'));

      const noReason = await console.post(`/api/console/partners/${summary.id}/signup-links`, {});
      assert.equal(noReason.status, 400);
      const issued = await console.post(`/api/console/partners/${summary.id}/signup-links`, { reason: 'Partner says the email never arrived (ticket 123)' });
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      assert.equal(issued.body.partnerState, 'link_sent');

      const secondMail = await system.catcher!.waitFor((m) => m.to.includes(email) && /one-time signup link/.test(m.subject) && linkToken(m.text, 'signup-link') !== firstLink, 15_000);
      const secondLink = linkToken(secondMail.text, 'signup-link');
      const old = await new Browser(system.url!).post('/api/signup-links/claim', { token: firstLink });
      assert.equal(old.status, 410);
      assert.equal(old.body.error.code, 'LINK_REVOKED');
      const fresh = await new Browser(system.url!).post('/api/signup-links/claim', { token: secondLink });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));

      const audit = await console.get(`/api/console/audit-events?action=console.signup_link_issued&partnerId=${summary.id}`);
      assert.equal(audit.body.items.length, 1);
      assert.equal(audit.body.items[0].actor, operator.email);
      assert.equal(audit.body.items[0].details.reason, 'Partner says the email never arrived (ticket 123)');
      const after = await console.get(`/api/console/partners/${summary.id}`);
      assert.equal(after.body.state, 'connecting');
      assert.deepEqual(after.body.links.filter((l: { purpose: string }) => l.purpose === 'signup_link').map((l: { status: string }) => l.status), ['claimed', 'revoked']);
    });

    it('re-sends the confirmation email of a partner who never confirmed; other actions wait for their state', async () => {
      const operator = await activeOperator(system, 'support');
      const console = await signIn(system, operator);
      const request = signupRequest();
      const email = request.primaryContact.email;
      assert.equal((await new Browser(system.url!).post('/api/signups', request)).status, 202);
      const firstToken = linkToken((await mailTo(email, /Confirm your email/)).text, 'verify');
      const partner = (await console.get(`/api/console/partners?q=${encodeURIComponent(email)}`)).body.items[0];
      assert.equal(partner.state, 'registered');
      const early = await console.post(`/api/console/partners/${partner.id}/signup-links`, { reason: 'too early' });
      assert.equal(early.status, 409);
      assert.equal(early.body.error.code, 'ACTION_NOT_AVAILABLE');
      const resent = await console.post(`/api/console/partners/${partner.id}/resend-verification`, { reason: 'Partner called: no email' });
      assert.equal(resent.status, 200, JSON.stringify(resent.body));
      const second = await system.catcher!.waitFor((m) => m.to.includes(email) && /Confirm your email/.test(m.subject) && linkToken(m.text, 'verify') !== firstToken, 15_000);
      assert.equal((await new Browser(system.url!).post('/api/email-verifications', { token: firstToken })).body.error.code, 'LINK_REVOKED');
      assert.equal((await new Browser(system.url!).post('/api/email-verifications', { token: linkToken(second.text, 'verify') })).status, 200);
      const again = await console.post(`/api/console/partners/${partner.id}/resend-verification`, { reason: 'twice' });
      assert.equal(again.status, 409);
      assert.equal((await console.get(`/api/console/partners/${randomUUID()}`)).status, 404);
      assert.equal((await console.get('/api/console/partners/not-an-id')).status, 400);
    });

    it('answers a support request by email and marks it handled', async () => {
      const operator = await activeOperator(system, 'support');
      const console = await signIn(system, operator);
      const partnerBrowser = new Browser(system.url!);
      const request = signupRequest();
      assert.equal((await partnerBrowser.post('/api/signups', request)).status, 202);
      const sent = await partnerBrowser.post('/api/support-requests', { name: 'Jana Novak', email: request.primaryContact.email, message: 'I did not get the confirmation email.', signupReference: null });
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      const reference = sent.body.reference;

      const inbox = await console.get(`/api/console/support-requests?status=open&q=${reference}`);
      assert.equal(inbox.status, 200, JSON.stringify(inbox.body));
      assert.equal(inbox.body.total, 1);
      const item = inbox.body.items[0];
      assert.equal(item.partner.companyName, request.company.legalName);

      const reply = await console.post(`/api/console/support-requests/${item.id}/replies`, { message: 'We sent a new confirmation email just now; please check your spam folder too.' });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.status, 'handled');
      assert.equal(reply.body.replies.length, 1);
      const answer = await mailTo(request.primaryContact.email, new RegExp(`Re: your request ${reference}`));
      assert.match(answer.text, /check your spam folder/);
      assert.match(answer.text, /I did not get the confirmation email/);

      const open = await console.get(`/api/console/support-requests?status=open&q=${reference}`);
      assert.equal(open.body.total, 0);
      const detail = await console.get(`/api/console/support-requests/${item.id}`);
      assert.equal(detail.body.replies[0].operator, operator.email);
      // The email arrived; its outbox row is marked sent right after the mail server took it.
      assert.ok(['sending', 'sent'].includes(detail.body.replies[0].emailStatus), detail.body.replies[0].emailStatus);
      await waitFor('the reply shown as sent', async () => (await console.get(`/api/console/support-requests/${item.id}`)).body.replies[0].emailStatus === 'sent', 10_000);
      const reopened = await console.post(`/api/console/support-requests/${item.id}/status`, { status: 'open', reason: 'Partner wrote again' });
      assert.equal(reopened.body.status, 'open');
      const audit = await console.get(`/api/console/audit-events?action=console.support_*`);
      assert.deepEqual(audit.body.items.filter((i: { details: { reference: string } }) => i.details.reference === reference).map((i: { action: string }) => i.action), ['console.support_reopened', 'console.support_replied']);
    });

    it('shows the funnel per state over a period and recent activity', async () => {
      const operator = await activeOperator(system, 'support');
      const console = await signIn(system, operator);
      const overview = await console.get('/api/console/overview');
      assert.equal(overview.status, 200, JSON.stringify(overview.body));
      assert.ok(overview.body.total >= 2);
      assert.equal(overview.body.funnel[0].stage, 'registered');
      assert.equal(overview.body.funnel[0].reached, overview.body.total);
      assert.ok(overview.body.funnel[2].reached >= 1, 'link sent');
      assert.ok(overview.body.funnel[3].reached >= 1, 'connecting');
      assert.equal(overview.body.byState.connecting, overview.body.funnel[3].reached - overview.body.funnel[4].reached);
      assert.ok(overview.body.recentActivity.length > 0);
      const empty = await console.get(`/api/console/overview?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`);
      assert.equal(empty.body.total, 0);
      const tooLong = await console.get(`/api/console/overview?from=2020-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`);
      assert.equal(tooLong.status, 400);
      const paged = await console.get('/api/console/audit-events?limit=3');
      assert.equal(paged.body.items.length, 3);
      const next = await console.get(`/api/console/audit-events?limit=3&before=${paged.body.nextCursor}`);
      assert.ok(next.body.items[0].id < paged.body.items[2].id);
      assert.equal((await console.get('/api/console/partners?limit=1000')).status, 400);
      const two = await console.get('/api/console/partners?state=link_sent&state=connecting&sort=company&order=asc&limit=100');
      assert.equal(two.status, 200, JSON.stringify(two.body));
      assert.ok(two.body.items.every((i: { state: string }) => i.state === 'link_sent' || i.state === 'connecting'));
      const names = two.body.items.map((i: { companyName: string }) => i.companyName);
      assert.deepEqual(names, [...names].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)));
      assert.equal((await console.get('/api/console/partners?state=nonsense')).status, 400);
    });

    it('admins manage operators; the last admin and oneself are protected; a disabled operator is signed out', async () => {
      const adminOp = await activeOperator(system, 'admin');
      const admin = await signIn(system, adminOp);
      const email = operatorEmail('new');
      const created = await admin.post('/api/console/operators', { email, role: 'support' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.operator.status, 'invited');
      assert.equal((await admin.post('/api/console/operators', { email, role: 'support' })).body.error.code, 'OPERATOR_EXISTS');
      const firstInvite = await waitForInvite(system, email);
      const reinvite = await admin.post(`/api/console/operators/${created.body.operator.id}/invites`);
      assert.equal(reinvite.status, 200);
      assert.equal((await new Browser(system.url!).post('/api/console/invites/inspect', { token: firstInvite })).body.error.code, 'INVITE_REVOKED');

      const support = await activeOperator(system, 'support');
      const supportBrowser = await signIn(system, support);
      const promoted = await admin.post(`/api/console/operators/${support.id}/role`, { role: 'admin', reason: 'Team lead' });
      assert.equal(promoted.body.role, 'admin');
      assert.equal((await supportBrowser.get('/api/console/operators')).status, 200);
      assert.equal((await admin.post(`/api/console/operators/${adminOp.id}/disable`, { reason: 'myself' })).body.error.code, 'CANNOT_DISABLE_SELF');
      const disabled = await admin.post(`/api/console/operators/${support.id}/disable`, { reason: 'Left the team' });
      assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
      assert.equal(disabled.body.status, 'disabled');
      assert.equal((await supportBrowser.get('/api/console/session')).status, 401);
      system.clock.advance(30_000);
      const refused = await new Browser(system.url!).post('/api/console/session', { email: support.email, password: support.password, code: totpCode(support.secret, system.clock.now()) });
      assert.equal(refused.status, 401);

      // Demoting every other admin leaves this one as the last: it cannot demote itself.
      const listed = await admin.get('/api/console/operators');
      for (const other of listed.body.items.filter((o: { role: string; status: string; id: string }) => o.role === 'admin' && o.status === 'active' && o.id !== adminOp.id)) {
        assert.equal((await admin.post(`/api/console/operators/${other.id}/role`, { role: 'support', reason: 'cleanup' })).status, 200);
      }
      const last = await admin.post(`/api/console/operators/${adminOp.id}/role`, { role: 'support', reason: 'oops' });
      assert.equal(last.status, 409);
      assert.equal(last.body.error.code, 'LAST_ADMIN');
    });

    it('operator audit rows and terms acceptances cannot be changed or removed: the database refuses', async () => {
      const db = system.database.db;
      const operatorRows = await db.selectFrom('audit_events').select(['id']).where('actor_type', '=', 'operator').execute();
      assert.ok(operatorRows.length > 0);
      await assert.rejects(db.updateTable('audit_events').set({ details: '{}' }).where('actor_type', '=', 'operator').execute(), /append-only/);
      await assert.rejects(db.deleteFrom('audit_events').where('action', 'like', 'console.%').execute(), /append-only/);
      await assert.rejects(db.deleteFrom('audit_events').where('action', '=', 'operator.signed_in').execute(), /append-only/);
      await assert.rejects(sql`TRUNCATE audit_events`.execute(db), /append-only/);

      const partner = await db.selectFrom('partners').innerJoin('contacts', 'contacts.partner_id', 'partners.id').select(['partners.id', 'contacts.id as contact_id']).executeTakeFirstOrThrow();
      await db.insertInto('terms_acceptances').values({ partner_id: partner.id, contact_id: partner.contact_id, document: 'terms_of_use', version: '1', sha256: 'a'.repeat(64), accepted_at: new Date() }).execute();
      await assert.rejects(db.updateTable('terms_acceptances').set({ version: '2' }).execute(), /append-only/);
      await assert.rejects(db.deleteFrom('terms_acceptances').execute(), /append-only/);
      await assert.rejects(sql`TRUNCATE terms_acceptances`.execute(db), /append-only/);
      const count = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('actor_type', '=', 'operator').executeTakeFirstOrThrow();
      assert.ok(Number(count.n) >= operatorRows.length);
    });
  });
}
