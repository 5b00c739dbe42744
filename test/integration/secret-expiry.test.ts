import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { manualClock } from '../../server/lib/clock.ts';
import { testBackends } from '../support/database.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { given } from '../support/given.ts';
import { partnerState, waitFor } from '../support/sync.ts';

// Secret-expiry reminders with the clock moved: the daily job finds the Partner Center web app's
// key through Graph (by its hint), reminds the primary contact 60, 30, 14, 7 and 1 days before the
// end and the secondary contact from 14 days on, each exactly once although two processes run the
// job at every step and one of them restarts half-way; on the day after the end the partner needs
// attention with the fix.

const DAY = 86_400_000;

for (const backend of testBackends()) {
  describe(`secret-expiry reminders (${backend})`, () => {
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

    it('reminds at each threshold exactly once, with two processes and a restart, then asks for attention', async () => {
      const { partner, email, tenant } = await given.connectedPartner(system, emulator, { secondary: true });
      const db = system.database.db;
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      const secondary = (await db.selectFrom('contacts').select('email').where('partner_id', '=', partner.id).where('role', '=', 'secondary').executeTakeFirstOrThrow()).email;

      // The key of the Partner Center web app ends in 61 days and a few hours.
      const endsAt = new Date(system.clock.now().getTime() + 61 * DAY + 3 * 3_600_000);
      tenant.patch({ op: 'setSecretExpiry', appId: tenant.facts.partnerCenter.webAppId, endDateTime: endsAt.toISOString() });

      let other = await system.restart({ roles: ['web'] });
      const runBoth = async () => {
        await Promise.all([system.services.secretExpiry.runDaily(), other.services.secretExpiry.runDaily()]);
        await Promise.all([system.services.secretExpiry.runDaily(), other.services.secretExpiry.runDaily()]);
      };
      const reminders = async () =>
        (await db.selectFrom('outbox').select(['to_address', 'idempotency_key']).where('partner_id', '=', partner.id).where('template', '=', 'secret_expiry_reminder').execute()).map(
          (r) => `${r.to_address === email ? 'primary' : r.to_address === secondary ? 'secondary' : r.to_address}:${r.idempotency_key.split(':')[4]}`,
        );
      const at = (daysBeforeEnd: number) => system.clock.set(new Date(endsAt.getTime() - daysBeforeEnd * DAY));

      try {
        at(61.5);
        await runBoth();
        assert.deepEqual(await reminders(), [], 'nothing 61 days before');
        const tracked = await db.selectFrom('partner_secrets').selectAll().where('partner_id', '=', partner.id).orderBy('credential').execute();
        assert.deepEqual(tracked.map((t) => [t.credential, t.source]), [['entra_client_secret', 'graph'], ['partner_center_web_app_secret', 'graph']]);
        assert.equal(new Date(tracked[1]!.ends_at!).toISOString(), endsAt.toISOString(), 'the end read from Graph, not the typed date');
        assert.ok(tracked[1]!.key_id);

        const console = await system.services.operatorConsole.secretExpiries();
        assert.equal(console.items[0]?.partnerId, partner.id);
        assert.equal(console.items[0]?.credential, 'partner_center_web_app_secret');

        at(59.8);
        await runBoth();
        at(45);
        await runBoth();
        assert.deepEqual((await reminders()).sort(), ['primary:60']);

        // One of the two processes restarts.
        await other.stop();
        other = await system.restart({ roles: ['web'] });

        at(29.5);
        await runBoth();
        at(13.2);
        await runBoth();
        at(6.1);
        await runBoth();
        at(0.4);
        await runBoth();
        at(0.2);
        await runBoth();
        assert.deepEqual((await reminders()).sort(), ['primary:1', 'primary:14', 'primary:30', 'primary:60', 'primary:7', 'secondary:1', 'secondary:14', 'secondary:7']);
        assert.equal(await partnerState(system, partner.id), 'active');

        // The key expired: the partner needs attention, with the fix.
        system.clock.set(new Date(endsAt.getTime() + 3_600_000));
        await runBoth();
        assert.equal(await partnerState(system, partner.id), 'needs_attention');
        const finding = await db.selectFrom('partner_attention').selectAll().where('partner_id', '=', partner.id).where('resolved_at', 'is', null).executeTakeFirstOrThrow();
        assert.equal(finding.origin, 'secret_expiry');
        assert.equal(finding.code, 'AADSTS7000222');
        assert.equal(finding.source, 'partner_center_app');
        assert.match(finding.fix, /Add key/);

        // The partner makes a new key; "Check again" finds it through Graph and the import resumes.
        tenant.patch({ op: 'setSecretExpiry', appId: tenant.facts.partnerCenter.webAppId, endDateTime: new Date(system.clock.now().getTime() + 700 * DAY).toISOString() });
        const checked = await other.services.sync.checkAgain(partner.id, { type: 'operator', id: null });
        assert.equal(checked.fixed, true, checked.message);
        await waitFor('partner active again', async () => (await partnerState(system, partner.id)) === 'active');
      } finally {
        await other.stop();
      }

      // The emails themselves: one per threshold and contact, with the portal steps.
      await waitFor('the reminder emails', async () => system.catcher!.messages().filter((m) => /^Reminder: /.test(m.subject)).length >= 8);
      const mails = system.catcher!.messages().filter((m) => /^Reminder: /.test(m.subject));
      assert.equal(mails.length, 8);
      assert.equal(mails.filter((m) => m.to.includes(email)).length, 5);
      assert.equal(mails.filter((m) => m.to.includes(secondary)).length, 3);
      const lastDay = mails.find((m) => /expires tomorrow/.test(m.subject) && m.to.includes(email));
      assert.ok(lastDay, 'the last reminder says tomorrow');
      assert.match(lastDay.text, /App management > Web app > Add key/);
      assert.ok(!/undefined/.test(lastDay.text));
      await waitFor('the attention email', async () => system.catcher!.messages().some((m) => /must fix a setting in Microsoft/.test(m.subject) && m.to.includes(email)));
    });
  });
}
