import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testBackends } from '../../support/database.ts';
import { Browser } from '../../support/http.ts';
import { claimedSignup } from '../../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../../support/system.ts';

// The public support form must not be a way to mail attacker-written text from our sender: the
// acknowledgement quotes the message only to a known partner contact, and greets once.

for (const backend of testBackends()) {
  describe(`Security: support form acknowledgements (${backend})`, () => {
    let system: TestSystem;

    before(async () => {
      system = await startTestSystem(backend);
    });
    after(() => system.dispose());

    const spam = 'Your account is locked. Log in at https://evil.example/login to restore access.';

    it('to a stranger\u2019s address: the reference only, nothing the sender wrote', async () => {
      const victim = `victim.${Date.now()}@elsewhere.example`;
      const response = await new Browser(system.url!).post('/api/support-requests', { name: 'Security Team of Your Bank', email: victim, message: spam });
      assert.equal(response.status, 201);
      const ack = await system.catcher!.waitFor((m) => m.to.includes(victim), 15_000);
      assert.match(ack.text, new RegExp(response.body.reference));
      for (const part of [ack.text, ack.html, ack.subject]) {
        assert.doesNotMatch(part, /evil\.example|locked/, 'the message is not quoted');
        assert.doesNotMatch(part, /Your Bank/, 'the typed name is not used');
      }
      assert.equal(ack.text.match(/Hello/g)?.length, 1, 'one greeting');
      // The request itself is kept for the support team.
      const stored = await system.database.db.selectFrom('support_requests').select('message').where('reference', '=', response.body.reference).executeTakeFirstOrThrow();
      assert.equal(stored.message, spam);
    });

    it('to a known partner contact: the message quoted, greeted once by the name we hold', async () => {
      const { email } = await claimedSignup(system);
      const response = await new Browser(system.url!).post('/api/support-requests', { name: 'Somebody Else', email, message: 'My Microsoft sign-in fails with an error.' });
      assert.equal(response.status, 201);
      const ack = await system.catcher!.waitFor((m) => m.to.includes(email) && m.subject.includes(response.body.reference), 15_000);
      assert.match(ack.text, /My Microsoft sign-in fails/);
      assert.match(ack.text, /^Hello Jana,/);
      assert.equal(ack.text.match(/Hello/g)?.length, 1, 'one greeting');
      assert.doesNotMatch(ack.text, /Somebody Else/);
    });
  });
}
