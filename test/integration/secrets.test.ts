import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testBackends } from '../support/database.ts';
import { dumpAllRows } from '../support/dump.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { settled } from '../support/settled.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

for (const backend of testBackends()) {
  describe(`no token or secret in logs or in the database (${backend})`, () => {
    let system: TestSystem;
    const secrets: Record<string, string> = {};

    before(async () => {
      system = await startTestSystem(backend);
      const browser = new Browser(system.url!);
      const request = signupRequest();
      await browser.post('/api/signups', request);
      const first = await system.catcher!.waitFor((m) => m.to.includes(request.primaryContact.email));
      secrets.firstVerificationToken = linkToken(first.text, 'verify');
      await browser.post('/api/verification-emails', { email: request.primaryContact.email });
      const second = await system.catcher!.waitFor((m) => m.to.includes(request.primaryContact.email) && m.id !== first.id);
      secrets.verificationToken = linkToken(second.text, 'verify');
      assert.equal((await browser.post('/api/email-verifications', { token: secrets.verificationToken })).status, 200);
      const link = await system.catcher!.waitFor((m) => /one-time signup link/.test(m.subject) && m.to.includes(request.primaryContact.email));
      secrets.signupToken = linkToken(link.text, 'signup-link');
      // A request that fails validation also carries the token in its body: it must not be logged.
      await browser.post('/api/signup-links/inspect', { token: secrets.signupToken, extra: 'x'.repeat(10) });
      assert.equal((await browser.post('/api/signup-links/claim', { token: secrets.signupToken })).status, 200);
      secrets.sessionCookie = browser.cookie('signup_session')!;
      secrets.csrfCookie = browser.cookie('csrf')!;
      secrets.appSecret = Buffer.alloc(32, 7).toString('base64');
      await system.catcher!.waitFor((m) => /just used/.test(m.subject));
      // Let the worker finish marking emails sent.
      await settled(system);
    });
    after(() => system.dispose());

    it('the log lines contain none of them', () => {
      assert.ok(system.logLines.filter((l) => l.includes('request completed')).length >= 6, 'the test captured the request logs');
      const logs = system.logLines.join('\n');
      for (const [name, value] of Object.entries(secrets)) {
        assert.ok(value && value.length >= 20, `${name} was captured`);
        assert.ok(!logs.includes(value), `${name} appears in the logs`);
      }
    });

    it('a dump of every table contains none of them', async () => {
      const dump = await dumpAllRows(system.database.db);
      assert.ok(dump.includes('signup_link'), 'the dump holds the token rows');
      for (const [name, value] of Object.entries(secrets)) assert.ok(!dump.includes(value), `${name} appears in the database`);
      const outbox = await system.database.db.selectFrom('outbox').select(['status', 'sealed_secrets']).execute();
      assert.ok(outbox.every((row) => row.status === 'sent' && row.sealed_secrets === null));
    });
  });
}
