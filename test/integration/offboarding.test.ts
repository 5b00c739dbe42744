import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { credentialFields } from '../../server/modules/microsoft/microsoft.credentials.ts';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { given } from '../support/given.ts';
import { partnerState, waitFor } from '../support/sync.ts';

// Offboarding by an operator (with a reason): the partner's every stored credential is destroyed
// (tried by opening each one), its links, sessions and status links stop at once, syncs stop, both
// contacts are told, the audit trail stays; after the retention period its customers are deleted
// and its contacts erased.

const DAY = 86_400_000;

for (const backend of testBackends()) {
  describe(`offboarding (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      emulator = await startEmulator({ scenario: 'ready' });
      system = await startTestSystem(backend, { emulator, env: { OFFBOARDING_RETENTION_DAYS: '30' } });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    // Runs first: the next test moves the clock past the retention period.
    it('a database backup taken before offboarding opens nothing once the vault key it was wrapped under is rotated out and retired', async () => {
      const { partner } = await given.connectedPartner(system, emulator);
      const db = system.database.db;
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      // The backup: the partner's sealed records as they were.
      const backup = await db.selectFrom('credentials').selectAll().where('partner_id', '=', partner.id).execute();
      const root = backup.find((row) => row.wrapping === 'vault');
      assert.ok(root?.vault_key_version, 'the backup holds the root record, wrapped by a vault key version');
      const fields = backup.map((row) => row.field);

      const operator = { id: '00000000-0000-4000-8000-000000000001', email: 'ops@totalone.example', role: 'admin' } as never;
      await system.services.operatorConsole.offboard(partner.id, 'Contract ended', operator, { ip: '127.0.0.1', userAgent: 'test' } as never);
      // The documented procedure: rotate the vault key (every live partner's root moves to the new
      // version), then retire the old version (its key material is destroyed).
      await system.services.vault.rotate();
      await system.services.vault.retire(root.vault_key_version);

      // The backup restored: every record is there again, and none opens.
      await db.insertInto('credentials').values(backup).execute();
      for (const field of fields) {
        await assert.rejects(system.services.vault.open(partner.id, field), (error: Error & { code?: string }) => error.code === 'VAULT_UNAVAILABLE' && /retired/.test(error.message), field);
      }
      await db.deleteFrom('credentials').where('partner_id', '=', partner.id).execute();
    });

    it('destroys every credential, stops links, sessions and syncs, tells both contacts, and deletes the data later', async () => {
      const { partner, email, browser } = await given.connectedPartner(system, emulator, { secondary: true });
      const db = system.database.db;
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      const secondary = (await db.selectFrom('contacts').select('email').where('partner_id', '=', partner.id).where('role', '=', 'secondary').executeTakeFirstOrThrow()).email;
      const fields = Object.values(credentialFields);
      const stored = (await system.services.vault.masked(partner.id)).map((c) => c.field);
      assert.ok(stored.length >= 3, 'credentials were stored');
      assert.equal((await browser.get('/api/status')).status, 200);
      const auditBefore = (await system.services.audit.forPartner(partner.id)).length;

      const operator = { id: '00000000-0000-4000-8000-000000000001', email: 'ops@totalone.example', role: 'admin' } as never;
      const result = await system.services.operatorConsole.offboard(partner.id, 'Contract ended', operator, { ip: '127.0.0.1', userAgent: 'test' } as never);
      assert.equal(result.partnerState, 'offboarded');
      assert.equal(await partnerState(system, partner.id), 'offboarded');

      // No credential of the partner can be opened any more.
      for (const field of fields) {
        await assert.rejects(system.services.vault.open(partner.id, field), (error: Error & { code?: string }) => error.code === 'CREDENTIAL_NOT_FOUND', field);
      }
      assert.equal((await db.selectFrom('credentials').select('id').where('partner_id', '=', partner.id).execute()).length, 0);

      // The browser session and the status links stop at once; no import runs.
      const ended = await browser.get('/api/status');
      assert.equal(ended.status, 404, JSON.stringify(ended.body));
      assert.equal(ended.body.error.code, 'NO_SIGNUP_SESSION', 'the connecting browser\u2019s session ended');
      const readyMail = await system.catcher!.waitFor((m) => m.to.includes(email) && /status#key=/.test(m.text), 15_000);
      const key = /\/status#key=([^\s]+)/.exec(readyMail.text)![1];
      const byLink = await new Browser(system.url!).post('/api/status/access', { key });
      assert.equal(byLink.status, 403, 'the status link in an earlier email stops working');
      await system.services.sync.runJob({ partnerId: partner.id, reason: 'scheduled' });
      assert.equal(await system.services.sync.enqueueDaily(), 0);
      assert.equal(await partnerState(system, partner.id), 'offboarded');

      // Both contacts are told; the audit trail is intact and records it.
      await waitFor('both confirmations', async () => system.catcher!.messages().filter((m) => /disconnected from TotalOne/.test(m.subject) && [email, secondary].includes(m.to[0]!)).length >= 2);
      const confirmations = system.catcher!.messages().filter((m) => /disconnected from TotalOne/.test(m.subject) && [email, secondary].includes(m.to[0]!));
      assert.deepEqual(confirmations.map((m) => m.to[0]).sort(), [email, secondary].sort());
      const audit = await system.services.audit.forPartner(partner.id);
      assert.ok(audit.length > auditBefore);
      assert.ok(audit.some((e) => e.action === 'partner.offboarded' && (e.details as { reason: string }).reason === 'Contract ended'));
      assert.ok(audit.some((e) => e.action === 'signup.submitted'), 'earlier events are kept');

      // After the retention period: customers deleted, contacts erased (the purge job, run here directly).
      assert.ok((await db.selectFrom('customers').select('customer_id').where('partner_id', '=', partner.id).execute()).length > 0);
      system.clock.advance(31 * DAY);
      const purged = await system.services.offboarding.purge(partner.id);
      assert.ok(purged && purged.customers > 0 && purged.contacts === 2);
      assert.equal((await db.selectFrom('customers').select('customer_id').where('partner_id', '=', partner.id).execute()).length, 0);
      const contacts = await db.selectFrom('contacts').selectAll().where('partner_id', '=', partner.id).execute();
      assert.ok(contacts.every((c) => c.first_name === 'Erased' && c.email.endsWith('@invalid')));

      // Offboarding is final.
      await assert.rejects(system.services.operatorConsole.offboard(partner.id, 'Again', operator, { ip: '127.0.0.1', userAgent: 'test' } as never), /not possible/);
    });
  });

  describe(`offboarding by the primary contact (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;
    const db = () => system.database.db;

    before(async () => {
      emulator = await startEmulator({ scenario: 'ready' });
      system = await startTestSystem(backend, { emulator });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    it('the primary contact offboards through an emailed confirmation link', async () => {
      const { partner, email, browser } = await given.connectedPartner(system, emulator);
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');

      const requested = await browser.post('/api/status/offboarding-request');
      assert.equal(requested.status, 200, JSON.stringify(requested.body));
      assert.match(requested.body.sentTo, /^[a-z]\*\*\*@/);
      assert.equal(await partnerState(system, partner.id), 'active', 'nothing happens before the confirmation');
      const mail = await system.catcher!.waitFor((m) => m.to.includes(email) && /Confirm: disconnect/.test(m.subject), 15_000);
      const token = /\/offboard#token=([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1];
      assert.ok(token, 'the link carries its token in the fragment');

      // Anyone may open the link (mail scanners do): it changes nothing.
      const stranger = new Browser(system.url!);
      const inspected = await stranger.post('/api/offboarding/inspect', { token });
      assert.equal(inspected.status, 200, JSON.stringify(inspected.body));
      assert.equal(inspected.body.reference, partner.reference);
      assert.equal(await partnerState(system, partner.id), 'active');

      const confirmed = await stranger.post('/api/offboarding/confirm', { token });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.equal(await partnerState(system, partner.id), 'offboarded');
      assert.equal((await db().selectFrom('credentials').select('id').where('partner_id', '=', partner.id).execute()).length, 0);
      const again = await stranger.post('/api/offboarding/confirm', { token });
      assert.equal(again.status, 410);
      assert.equal(again.body.error.code, 'OFFBOARDING_LINK_UNUSABLE');
      const audit = await system.services.audit.forPartner(partner.id);
      assert.ok(audit.some((e) => e.action === 'partner.offboarded' && e.actor_type === 'partner'));
    });
  });
}
