import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signStatusKey } from '../../../server/modules/sync/sync.fns.ts';
import { testBackends } from '../../support/database.ts';
import { signupRequest } from '../../support/factories.ts';
import { Browser } from '../../support/http.ts';
import { claimedSignup } from '../../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../../support/system.ts';
import { activeOperator, signIn } from '../operators.helpers.ts';

// Suspending a partner cuts it off at once: its browser session and its status links stop
// reading (checked at every read), and its addresses and tenant domain cannot sign up again.

for (const backend of testBackends()) {
  describe(`Security: a suspended partner reads nothing and cannot sign up again (${backend})`, () => {
    let system: TestSystem;

    before(async () => {
      system = await startTestSystem(backend);
    });
    after(() => system.dispose());

    it('session, status link, tenant view and connect wizard stop at once; the addresses cannot sign up again', async () => {
      const { browser, partner, request, email } = await claimedSignup(system, undefined, {
        secondaryContact: { firstName: 'Tom', lastName: 'Berg', jobTitle: 'CTO', email: `tom.${Date.now()}@fabrikam.example`, phone: '+49 30 7654321' },
      });
      // The connection was completed with the link (so suspending has no usable link to revoke).
      await system.database.db.updateTable('one_time_tokens').set({ spent_at: system.clock.now() }).where('partner_id', '=', partner.id).where('claimed_at', 'is not', null).execute();
      const key = signStatusKey(system.services.vault.appKeys.lookupKey('status-link'), partner.id, new Date(system.clock.now().getTime() + 30 * 86_400_000));
      const viaLink = new Browser(system.url!);
      assert.equal((await viaLink.post('/api/status/access', { key })).status, 200);
      const reads = ['/api/signup-session', '/api/status', '/api/tenant/summary', '/api/tenant/customers', '/api/connect/state'];
      for (const path of reads) assert.equal((await browser.get(path)).status, 200, `before: ${path}`);
      assert.equal((await viaLink.get('/api/status')).status, 200);

      const operator = await activeOperator(system, 'admin');
      const console = await signIn(system, operator);
      assert.equal((await console.post(`/api/console/partners/${partner.id}/suspension`, { reason: 'Fraud suspected (ticket 9)' })).status, 200);

      for (const path of reads) {
        const answer = await browser.get(path);
        assert.equal(answer.status, 403, `session ${path}: ${answer.status}`);
        assert.equal(answer.body.error.code, 'ACCESS_ENDED');
      }
      for (const path of ['/api/status', '/api/tenant/summary', '/api/tenant/customers']) assert.equal((await viaLink.get(path)).status, 403, `status link ${path}`);
      assert.equal((await new Browser(system.url!).post('/api/status/access', { key })).status, 403, 'the emailed link cannot be opened again');

      // Same primary address, another tenant; another address of the same tenant; the secondary contact's address.
      const again = [
        signupRequest({ primaryContact: { email } }),
        signupRequest({ company: { entraDomain: request.company.entraDomain } }),
        signupRequest({ primaryContact: { email: request.secondaryContact!.email } }),
      ];
      for (const attempt of again) {
        const answer = await new Browser(system.url!).post('/api/signups', attempt);
        assert.equal(answer.status, 202, 'the same neutral answer as always');
        const notice = await system.catcher!.waitFor((m) => m.to.includes(attempt.primaryContact.email) && /Your TotalOne signup$/.test(m.subject), 15_000);
        assert.match(notice.text, /cannot accept it online/);
      }
      const partners = await system.database.db.selectFrom('partners').select('id').where('legal_name', 'in', again.map((a) => a.company.legalName)).execute();
      assert.deepEqual(partners, [], 'no new signup was started');
    });
  });
}
