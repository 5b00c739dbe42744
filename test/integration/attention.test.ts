import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { syncCustomersJob } from '../../server/modules/sync/sync.jobs.ts';
import { manualClock } from '../../server/lib/clock.ts';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { settled } from '../support/settled.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';
import { activeOperator, signIn } from './operators.helpers.ts';

// A secret expiring during a sync: Microsoft answers AADSTS7000222 when the run renews its token.
// The job ends without a retry, the partner needs attention with the finding and its fix, the
// primary contact gets exactly one email, the secondary contact one email three days later (two
// processes running the escalation at once), and after the fix "Check again" on the status page
// resumes the import, with no new signup.

const DAY = 86_400_000;

for (const backend of testBackends()) {
  describe(`attention: a secret expires during a sync (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      // Microsoft and TotalOne share the test clock: tokens issued "now" stay valid when it moves.
      const clock = manualClock(new Date());
      emulator = await startEmulator({ scenario: 'ready', now: () => clock.now() });
      system = await startTestSystem(backend, { emulator, clock, env: { SYNC_PAGE_SIZE: '20' } });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    it('stops retrying, tells the primary once and the secondary after three days, and resumes after the fix', async () => {
      const { partner, email, browser, tenant } = await connectPartner(system, emulator, { secondary: true, customers: 250 }); // a daily import long enough to be half-way
      const db = system.database.db;
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      const secondary = (await db.selectFrom('contacts').select('email').where('partner_id', '=', partner.id).where('role', '=', 'secondary').executeTakeFirstOrThrow()).email;
      const linksBefore = await db.selectFrom('one_time_tokens').select('id').where('partner_id', '=', partner.id).execute();

      // The daily import starts and reads slowly; half-way, the Partner Center web app's secret
      // expires and the run's token needs renewing (an hour later on the app's clock).
      tenant.patch({ op: 'setFaults', faults: { latencyMs: 150 } });
      assert.equal(await system.services.sync.enqueueDaily(), 1);
      await waitFor('the daily run under way', async () => {
        const run = await db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).where('reason', '=', 'scheduled').executeTakeFirst();
        return run && run.pages >= 1;
      });
      tenant.patch({ op: 'setSecretExpiry', appId: tenant.facts.partnerCenter.webAppId, endDateTime: '2020-01-01T00:00:00Z' });
      system.clock.advance(2 * 60 * 60_000);

      await waitFor('partner needs attention', async () => (await partnerState(system, partner.id)) === 'needs_attention');
      tenant.patch({ op: 'setFaults', faults: { latencyMs: 0 } });
      const run = await db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).where('reason', '=', 'scheduled').executeTakeFirstOrThrow();
      assert.equal(run.status, 'failed');
      assert.equal((run.error as { code: string; retrying: boolean }).retrying, false);
      assert.ok(run.pages >= 1, 'the run had stored pages before the secret expired');

      // No retry: the job completed, and nothing for this partner waits in the queue.
      await settled(system);
      assert.equal((await system.queue.livePayloadValues(syncCustomersJob, 'partnerId', [partner.id])).size, 0, 'no sync job waiting, retrying or running');
      const runs = await db.selectFrom('sync_runs').select('id').where('partner_id', '=', partner.id).execute();
      assert.equal(runs.length, 2, 'no further run');

      // The finding, on the status page (the browser that connected keeps access).
      const status = (await browser.get('/api/status')).body;
      assert.equal(status.state, 'needs_attention');
      assert.equal(status.attention.code, 'AADSTS7000222');
      assert.equal(status.attention.source, 'partner_center_app');
      assert.match(status.attention.message, /expired/);
      assert.match(status.attention.fix, /App management > Web app > Add key/);
      assert.equal(status.canCheckAgain, true);
      assert.equal(status.steps.find((s: { id: string }) => s.id === 'import').status, 'failed');

      // ... and in the console's partner view.
      const detail = await system.services.operatorConsole.partnerDetail(partner.id);
      assert.equal(detail.attention?.code, 'AADSTS7000222');
      assert.ok(detail.availableActions.includes('recheck_attention'));

      // Exactly one email to the primary contact, with the fix.
      const attentionMails = () => system.catcher!.messages().filter((m) => /must fix a setting in Microsoft/.test(m.subject));
      await waitFor('the email to the primary contact', async () => attentionMails().length >= 1);
      const first = attentionMails()[0]!;
      assert.deepEqual(first.to, [email]);
      assert.match(first.text, /App management > Web app > Add key/);
      assert.ok(!/undefined/.test(first.text));

      // Another failure while the finding is open starts no second round of emails.
      await system.services.sync.runJob({ partnerId: partner.id, reason: 'operator' });

      // Secondary contact: not before three days, then once, with two processes escalating at once.
      const second = await system.restart({ roles: ['web'] });
      try {
        system.clock.advance(3 * DAY - 10 * 60_000);
        assert.deepEqual(await Promise.all([system.services.attention.escalateDue(), second.services.attention.escalateDue()]), [0, 0]);
        system.clock.advance(20 * 60_000);
        const sent = await Promise.all([system.services.attention.escalateDue(), second.services.attention.escalateDue(), system.services.attention.escalateDue()]);
        assert.equal(sent.reduce((a, b) => a + b, 0), 1);
      } finally {
        await second.stop();
      }
      await waitFor('the email to the secondary contact', async () => attentionMails().some((m) => m.to.includes(secondary)));
      await settled(system);
      assert.equal(attentionMails().filter((m) => m.to.includes(email)).length, 1, 'one email to the primary contact');
      assert.equal(attentionMails().filter((m) => m.to.includes(secondary)).length, 1, 'one email to the secondary contact');
      const outbox = await db.selectFrom('outbox').select(['template', 'to_address']).where('partner_id', '=', partner.id).where('template', 'in', ['attention_required', 'attention_reminder']).execute();
      assert.equal(outbox.length, 2);

      // Days later the connecting browser's session has ended: the partner opens the status page
      // from the link in the email (its key becomes this browser's status cookie).
      const key = /\/status#key=([^\s]+)/.exec(first.text)?.[1];
      assert.ok(key, 'the email links the status page');
      const reader = new Browser(system.url!);
      const opened = await reader.post('/api/status/access', { key });
      assert.equal(opened.status, 200, JSON.stringify(opened.body));
      assert.equal(opened.body.attention.code, 'AADSTS7000222');

      // Check again before the fix: still failing, still needs attention.
      const early = await reader.post('/api/status/check-again');
      assert.equal(early.status, 200, JSON.stringify(early.body));
      assert.equal(early.body.fixed, false);
      assert.match(early.body.message, /Microsoft still refuses: .*expired/);
      assert.equal(await partnerState(system, partner.id), 'needs_attention');

      // The partner fixes it in Microsoft, then presses "Check again": the import resumes.
      tenant.patch({ op: 'setSecretExpiry', appId: tenant.facts.partnerCenter.webAppId, endDateTime: new Date(system.clock.now().getTime() + 365 * DAY).toISOString() });
      const fixed = await reader.post('/api/status/check-again');
      assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
      assert.equal(fixed.body.fixed, true, `${fixed.body.message}\n${system.logLines.filter((l) => /not fixed|AADSTS|error/i.test(l)).slice(-5).join('\n')}`);
      await waitFor('partner active again', async () => (await partnerState(system, partner.id)) === 'active');
      const after = (await reader.get('/api/status')).body;
      assert.equal(after.attention, null);
      assert.equal(after.canCheckAgain, false);
      const finding = await db.selectFrom('partner_attention').selectAll().where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
      assert.equal(finding.resolved_by, 'partner');
      const linksAfter = await db.selectFrom('one_time_tokens').select('id').where('partner_id', '=', partner.id).execute();
      assert.equal(linksAfter.length, linksBefore.length, 'no new signup link');
      assert.equal((await reader.post('/api/status/check-again')).body.error.code, 'NOTHING_TO_CHECK');
    });
  });

  describe(`attention: scenario secret-expires-during-sync (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      emulator = await startEmulator({ scenario: 'secret-expires-during-sync' });
      system = await startTestSystem(backend, { emulator });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    it('the first import stops without retries and needs attention; after a new secret, support\'s "Re-run check" resumes it', async () => {
      const { partner, browser, tenant } = await connectPartner(system, emulator, { scenario: 'secret-expires-during-sync' });
      await waitFor('partner needs attention', async () => (await partnerState(system, partner.id)) === 'needs_attention');
      const status = (await browser.get('/api/status')).body;
      assert.equal(status.attention.code, 'AADSTS7000222');
      assert.equal(status.attention.source, 'partner_center_app');
      await waitFor('no sync job left', async () => (await system.queue.livePayloadValues(syncCustomersJob, 'partnerId', [partner.id])).size === 0);

      // Support re-runs the failing check from the console: before the fix it still fails, and
      // says so; the partner stays in the attention state.
      const console = await signIn(system, await activeOperator(system, 'support'));
      const recheck = (reason: string) => console.post(`/api/console/partners/${partner.id}/attention-checks`, { reason });
      const early = await recheck('Partner says the secret is renewed');
      assert.equal(early.status, 200, JSON.stringify(early.body));
      assert.equal(early.body.partnerState, 'needs_attention');
      assert.match(early.body.message, /expired/);

      tenant.patch({ op: 'setSecretExpiry', appId: tenant.facts.partnerCenter.webAppId, endDateTime: new Date(Date.now() + 365 * DAY).toISOString(), afterTokenRequests: 1_000_000 });
      const fixed = await recheck('Partner renewed the secret in Partner Center');
      assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
      assert.match(fixed.body.message, /check passed/);
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      const finding = await system.database.db.selectFrom('partner_attention').selectAll().where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
      assert.match(finding.resolved_by ?? '', /^operator:/);
      const audited = await system.database.db.selectFrom('audit_events').select('details').where('partner_id', '=', partner.id).where('action', '=', 'console.attention_rechecked').execute();
      assert.deepEqual(audited.map((e) => (e.details as { fixed: boolean }).fixed), [false, true]);
      // Nothing is left to re-run.
      assert.equal((await recheck('again')).status, 409);
      assert.equal((await browser.get('/api/status')).body.attention, null);
    });
  });
}
