import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { manualClock } from '../../server/lib/clock.ts';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { settled } from '../support/settled.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { given } from '../support/given.ts';
import { partnerState, waitFor } from '../support/sync.ts';

// The daily drift check: a Graph permission removed in Microsoft after the connection makes a
// required check fail: the partner needs attention, the primary contact is emailed once, the
// secondary on day 3; once the permission is back the next check clears it and the import resumes.

const DAY = 86_400_000;

for (const backend of testBackends()) {
  describe(`daily drift check (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      const clock = manualClock(new Date());
      emulator = await startEmulator({ scenario: 'ready', now: () => clock.now() });
      system = await startTestSystem(backend, { emulator, clock });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    it('finds a removed permission, emails once, escalates on day 3 and clears after the fix', async () => {
      const { partner, email, tenant } = await given.connectedPartner(system, emulator, { secondary: true });
      const db = system.database.db;
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      const secondary = (await db.selectFrom('contacts').select('email').where('partner_id', '=', partner.id).where('role', '=', 'secondary').executeTakeFirstOrThrow()).email;
      const drift = system.services.drift;

      // Queued once a day, at the partner's own time, never twice at once.
      assert.equal(await drift.enqueueDaily(system.clock.now()), 1);
      assert.equal(await drift.enqueueDaily(system.clock.now()), 0, 'a check already waiting for this partner');

      assert.equal(await drift.check(partner.id), 'passed');
      tenant.patch({ op: 'revokeAppPermission', permission: 'User.ReadWrite.All' });
      system.clock.advance(DAY);
      assert.equal(await drift.check(partner.id), 'failing');
      assert.equal(await partnerState(system, partner.id), 'needs_attention');
      const finding = await db.selectFrom('partner_attention').selectAll().where('partner_id', '=', partner.id).where('resolved_at', 'is', null).executeTakeFirstOrThrow();
      assert.equal(finding.origin, 'drift');
      assert.equal(finding.code, 'CHECK_graph_application_permissions');
      assert.match(finding.fix, /User\.ReadWrite\.All|Grant admin consent/);
      const events = (await system.services.audit.forPartner(partner.id)).filter((e) => e.action === 'drift.checked');
      const changed = (events.at(-1)!.details as { changed: Array<{ id: string; from: string; to: string }> }).changed;
      assert.deepEqual(changed.find((c) => c.id === 'graph_application_permissions'), { id: 'graph_application_permissions', from: 'passed', to: 'failed' }, 'what changed since the last run');

      // The status page shows the latest check and what changed.
      const readyMail = await system.catcher!.waitFor((m) => m.to.includes(email) && /status#key=/.test(m.text), 15_000);
      const reader = new Browser(system.url!);
      const shown = await reader.post('/api/status/access', { key: /\/status#key=([^\s]+)/.exec(readyMail.text)![1] });
      assert.equal(shown.status, 200, JSON.stringify(shown.body));
      assert.equal(shown.body.lastCheck.allRequiredPassed, false);
      assert.ok(shown.body.lastCheck.changed.some((c: { from: string; to: string }) => c.from === 'passed' && c.to === 'failed'));
      assert.equal(shown.body.attention.code, 'CHECK_graph_application_permissions');

      // The next day it still fails: no second email.
      system.clock.advance(DAY);
      assert.equal(await drift.check(partner.id), 'failing');
      assert.equal(await system.services.attention.escalateDue(), 0, 'not before day 3');
      system.clock.advance(2 * DAY + 60_000);
      assert.equal(await system.services.attention.escalateDue(), 1, 'day 3 after the finding');
      const mails = () => system.catcher!.messages().filter((m) => /must fix a setting in Microsoft/.test(m.subject));
      await waitFor('both emails', async () => mails().length >= 2);
      await settled(system);
      assert.equal(mails().filter((m) => m.to.includes(email)).length, 1);
      assert.equal(mails().filter((m) => m.to.includes(secondary)).length, 1);

      // Fixed in Microsoft: the next daily check clears it and the import runs again.
      tenant.patch({ op: 'grantAppPermission', permission: 'User.ReadWrite.All' });
      assert.equal(await drift.check(partner.id), 'passed');
      await waitFor('partner active again', async () => (await partnerState(system, partner.id)) === 'active');
      const closed = await db.selectFrom('partner_attention').selectAll().where('id', '=', finding.id).executeTakeFirstOrThrow();
      assert.equal(closed.resolved_by, 'drift-check');
    });
  });
}
