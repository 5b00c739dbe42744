import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { demoConsoleAccess, DEMO_ADMIN_EMAIL } from '../../server/app/startup-report.ts';
import { testBackends } from '../support/database.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

interface InboxEntry {
  id: string;
  subject: string;
  to: string[];
  linkRemoved: { newLink: string; href?: string; command?: string } | null;
}

async function inbox(system: TestSystem): Promise<InboxEntry[]> {
  const response = await fetch(`${system.url}/dev/api/mail`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { messages: InboxEntry[] }).messages;
}

async function emailHtml(system: TestSystem, id: string): Promise<string> {
  const response = await fetch(`${system.url}/dev/mail/${id}/html`);
  assert.equal(response.status, 200);
  return response.text();
}

/** Every text column of every outbox row, as the database holds it. */
async function outboxDump(system: TestSystem): Promise<string> {
  const { rows } = await sql`SELECT * FROM outbox`.execute(system.database.db);
  return JSON.stringify(rows);
}

for (const backend of testBackends()) {
  describe(`the demo inbox (${backend})`, () => {
    it('shows what was sent from the outbox after a restart, links removed, never a link token kept in clear', { timeout: 90_000 }, async () => {
      const first = await startTestSystem(backend);
      const request = signupRequest();
      const email = request.primaryContact.email;
      let verifyToken: string;
      let second: TestSystem | undefined;
      try {
        assert.equal((await new Browser(first.url!).post('/api/signups', request)).status, 202);
        const verification = await first.catcher!.waitFor((m) => m.to.includes(email), 20_000);
        verifyToken = linkToken(verification.text, 'verify');
        // The demo's first start invites its administrator.
        assert.match((await demoConsoleAccess(first)).join('\n'), /invitation for admin@totalone\.example in the demo inbox/);
        const invitation = await first.catcher!.waitFor((m) => m.to.includes(DEMO_ADMIN_EMAIL), 20_000);
        assert.match(invitation.text, /\/console\/invite#token=/);

        // While it runs, the inbox shows the emails as they arrived, working links included.
        const listed = await waitForInbox(first, 2);
        const confirmation = listed.find((m) => m.to.includes(email))!;
        assert.equal(confirmation.linkRemoved, null);
        assert.ok((await emailHtml(first, confirmation.id)).includes(`/verify#token=${verifyToken}`));
      } finally {
        await first.stop();
      }

      try {
        second = await first.restart();
        assert.equal(second.catcher!.messages().length, 0, 'a new process: the catcher starts empty');
        const listed = await inbox(second);
        const confirmation = listed.find((m) => m.to.includes(email));
        assert.ok(confirmation, 'the confirmation email is still in the inbox after the restart');
        assert.match(confirmation.subject, /Confirm your email address/);
        assert.equal(confirmation.linkRemoved?.href, '/help#new-confirmation');
        const html = await emailHtml(second, confirmation.id);
        assert.match(html, /Verify email<\/strong>: link removed/);
        assert.ok(!html.includes(verifyToken) && !/#token=/.test(html), 'the rebuilt email carries no token');
        const detail = (await (await fetch(`${second.url}/dev/api/mail/${confirmation.id}`)).json()) as { text: string };
        assert.match(detail.text, /Verify email: \[link removed/);

        const oldInvitation = listed.find((m) => m.to.includes(DEMO_ADMIN_EMAIL))!;
        assert.match(oldInvitation.linkRemoved!.command!, /npm run operator -- invite --email admin@totalone\.example/);
        assert.ok(!(await outboxDump(second)).includes(verifyToken), 'the outbox keeps no link token in clear');

        // The administrator never set up the account: this start sends a new, working invitation.
        assert.match((await demoConsoleAccess(second)).join('\n'), /a new invitation for admin@totalone\.example/);
        const fresh = await second.catcher!.waitFor((m) => m.to.includes(DEMO_ADMIN_EMAIL), 20_000);
        const token = /\/console\/invite#token=([A-Za-z0-9_-]+)/.exec(fresh.text)![1]!;
        const after = await waitForInbox(second, 3);
        const newest = after.find((m) => m.to.includes(DEMO_ADMIN_EMAIL) && m.linkRemoved === null)!;
        assert.ok((await emailHtml(second, newest.id)).includes(token));
        assert.equal(after.filter((m) => m.to.includes(DEMO_ADMIN_EMAIL)).length, 2);
        assert.ok(!(await outboxDump(second)).includes(token), 'nor the new invitation token');
      } finally {
        await second?.dispose();
      }
    });

    it('with an administrator set up, start-up says how to get another invitation', async () => {
      const system = await startTestSystem(backend, { roles: ['web'] });
      try {
        const auth = system.services.operatorAuth;
        const created = await auth.createOperator({ email: 'ops@totalone.example', role: 'admin' }, { type: 'system', label: 'test' });
        await system.database.db.updateTable('operators').set({ status: 'active' }).where('id', '=', created.operator.id).execute();
        const lines = (await demoConsoleAccess(system)).join('\n');
        assert.match(lines, /Invitation used or lost\? Stop the demo \(Ctrl\+C\), run/);
        assert.match(lines, /npm run operator -- create --email you@totalone\.example --role admin/);
        assert.equal((await auth.list()).length, 1, 'nothing created');
      } finally {
        await system.dispose();
      }
    });
  });
}

async function waitForInbox(system: TestSystem, count: number): Promise<InboxEntry[]> {
  const end = Date.now() + 20_000;
  for (;;) {
    const listed = await inbox(system);
    if (listed.length >= count || Date.now() > end) return listed;
    await new Promise((r) => setTimeout(r, 200));
  }
}
