import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { manualClock } from '../../server/lib/clock.ts';
import { derivePartnerKey, ROOT_FIELD, unwrapWithPartnerKey } from '../../server/modules/vault/vault.fns.ts';
import { testBackends } from '../support/database.ts';
import type { PartnerTenant } from '../support/connect.ts';
import { linkToken } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';

// Self-service credential update: the primary contact asks for a one-time link (status page, or
// anonymously by address), opens it (nothing changes), starts it in one browser and enters a new
// Partner Center web app secret while the daily import runs. Microsoft judges the new value first;
// then the vault re-roots the partner's key chain in one transaction: the import renews its token
// with the new secret and finishes, every record opens under the new root and none under the old
// one. The link works once, runs out after 48 hours and a new request revokes the earlier one. An
// expired secret (the partner needs attention) is fixed by the update: the import resumes.
//
// The emulator adds a secret to an app as the portal (or Graph's application: addPassword,
// https://learn.microsoft.com/en-us/graph/api/application-addpassword) does: the app then has two
// valid secrets until the old one ends (`addClientSecret`, then `setSecretExpiry` of the old keyId).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

for (const backend of testBackends()) {
  describe(`credential update (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;
    /** The partner's own tenant in the emulator (the second test goes on with the first one's partner). */
    let tenant: PartnerTenant;

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

    it('a new Partner Center secret through the emailed link while an import runs: the import finishes on the new key chain, the old root opens nothing', async () => {
      // Enough customers for an import that is still reading when the new secret arrives.
      const connected = await connectPartner(system, emulator, { secondary: true, customers: 250 });
      const { partner, email, browser } = connected;
      tenant = connected.tenant;
      const db = system.database.db;
      const webAppId = tenant.facts.partnerCenter.webAppId;
      const pcApp = () => tenant.scenario.applications.find((a) => a.appId === webAppId)!;
      const oldRoot = tenant.facts.partnerCenter.webAppSecret!;
      const oldKeyId = pcApp().passwordCredentials.find((c) => c.secretText === oldRoot)!.keyId;
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      await system.services.secretExpiry.runDaily();
      const trackedBefore = await db.selectFrom('partner_secrets').selectAll().where('partner_id', '=', partner.id).where('credential', '=', 'partner_center_web_app_secret').executeTakeFirstOrThrow();
      assert.equal(trackedBefore.key_id, oldKeyId);

      // The status page offers the update; the link goes to the primary contact. Asking twice
      // revokes the first link.
      const status = await browser.get('/api/status');
      assert.equal(status.body.canUpdateCredentials, true);
      const first = await browser.post('/api/status/credential-update-link');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.match(first.body.sentTo, /^[a-z]\*\*\*@/);
      const linkMails = () => system.catcher!.messages().filter((m) => m.to.includes(email) && /link to update the Microsoft secrets/.test(m.subject));
      await waitFor('the update link email', async () => linkMails().length >= 1, 15_000);
      const older = linkToken(linkMails()[0]!.text, 'credentials');
      assert.equal((await browser.post('/api/status/credential-update-link')).status, 200);
      await waitFor('the second update link email', async () => linkMails().length >= 2, 15_000);
      assert.ok(linkMails().every((m) => m.to.length === 1), 'the link goes to the primary contact only');
      const newest = linkMails().map((m) => linkToken(m.text, 'credentials')).find((t) => t !== older)!;
      const revoked = await new Browser(system.url!).post('/api/credential-update-links/inspect', { token: older });
      assert.equal(revoked.status, 410);
      assert.equal(revoked.body.error.code, 'LINK_REVOKED');

      // Opening the link changes nothing (a mail scanner may open it); Start binds it to one browser.
      const updater = new Browser(system.url!);
      for (let i = 0; i < 2; i++) {
        const inspected = await updater.post('/api/credential-update-links/inspect', { token: newest });
        assert.equal(inspected.status, 200, JSON.stringify(inspected.body));
        assert.equal(inspected.body.status, 'open');
      }
      const unclaimed = await db.selectFrom('one_time_tokens').select(['claimed_at', 'spent_at']).where('partner_id', '=', partner.id).where('purpose', '=', 'credential_update').where('revoked_at', 'is', null).executeTakeFirstOrThrow();
      assert.deepEqual(unclaimed, { claimed_at: null, spent_at: null });

      // The daily import starts and reads slowly.
      tenant.patch({ op: 'setFaults', faults: { latencyMs: 150 } });
      assert.equal(await system.services.sync.enqueueDaily(), 1);
      await waitFor('the daily run under way', async () => {
        const run = await db.selectFrom('sync_runs').select('pages').where('partner_id', '=', partner.id).where('reason', '=', 'scheduled').where('status', '=', 'running').executeTakeFirst();
        return run && run.pages >= 1;
      });

      const claimed = await updater.post('/api/credential-update-links/claim', { token: newest });
      assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
      assert.equal(claimed.body.partnerCenterApp.appId, webAppId);
      assert.equal(claimed.body.partnerCenterApp.secretHint, oldRoot.slice(0, 3));
      assert.equal(claimed.body.done, null);
      const elsewhere = await new Browser(system.url!).post('/api/credential-update-links/claim', { token: newest });
      assert.equal(elsewhere.body.error.code, 'LINK_CLAIMED_ELSEWHERE');

      // The partner adds a key to the web app (the old one stays valid) and enters it.
      const [added] = tenant.patch({ op: 'addClientSecret', appId: webAppId, displayName: 'TotalOne 2' });
      const newRoot = added!.secret!.secretText;
      const nothing = await updater.post('/api/credential-update', { webAppSecret: '', clientSecret: '' });
      assert.equal(nothing.status, 400);
      assert.equal(nothing.body.error.fields[0].path, 'webAppSecret');
      const idInstead = await updater.post('/api/credential-update', { webAppSecret: added!.secret!.keyId });
      assert.equal(idInstead.status, 400);
      assert.match(idInstead.body.error.fields[0].message, /secret\u2019s ID, not its value/);
      const wrong = await updater.post('/api/credential-update', { webAppSecret: `${newRoot.slice(0, -4)}abcd` });
      assert.equal(wrong.status, 400, JSON.stringify(wrong.body));
      assert.deepEqual(wrong.body.error.fields.map((f: { path: string }) => f.path), ['webAppSecret']);
      assert.match(wrong.body.error.fields[0].message, /Add key|secret/i);
      const rootBefore = await db.selectFrom('credentials').select(['version']).where('partner_id', '=', partner.id).where('field', '=', ROOT_FIELD).executeTakeFirstOrThrow();

      const updated = await updater.post('/api/credential-update', { webAppSecret: `  ${newRoot}  ` });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      const during = await db.selectFrom('sync_runs').select('status').where('partner_id', '=', partner.id).where('reason', '=', 'scheduled').executeTakeFirstOrThrow();
      assert.equal(during.status, 'running', 'the key chain was re-rooted while the import ran');
      assert.deepEqual(updated.body.done.updated, ['partner_center_web_app_secret']);
      assert.equal(updated.body.partnerCenterApp.secretHint, newRoot.slice(0, 3));
      assert.equal(updated.body.partnerCenterApp.endsAt, added!.secret!.endDateTime, 'the new secret is tracked from Graph at once');
      // The link worked once.
      assert.equal((await updater.post('/api/credential-update', { webAppSecret: newRoot })).body.error.code, 'LINK_SPENT');
      assert.equal((await new Browser(system.url!).post('/api/credential-update-links/inspect', { token: newest })).body.error.code, 'LINK_SPENT');
      // The browser that proved the link may read the status page.
      assert.equal((await updater.get('/api/status')).status, 200);

      // Microsoft ends the old key; an hour later the run renews its token: with the new root.
      tenant.patch({ op: 'setSecretExpiry', appId: webAppId, keyId: oldKeyId, endDateTime: '2020-01-01T00:00:00Z' });
      system.clock.advance(2 * HOUR);
      tenant.patch({ op: 'setFaults', faults: { latencyMs: 0 } });
      await waitFor('the daily run completed', async () => {
        const run = await db.selectFrom('sync_runs').select('status').where('partner_id', '=', partner.id).where('reason', '=', 'scheduled').executeTakeFirstOrThrow();
        return run.status !== 'running' && run;
      }, 90_000);
      const run = await db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).where('reason', '=', 'scheduled').executeTakeFirstOrThrow();
      assert.equal(run.status, 'completed', JSON.stringify(run.error));
      assert.equal(await partnerState(system, partner.id), 'active');

      // Every record opens under the new root; the old root's key opens none of them.
      const rows = await db.selectFrom('credentials').selectAll().where('partner_id', '=', partner.id).execute();
      const root = rows.find((r) => r.field === ROOT_FIELD)!;
      assert.equal(root.version, rootBefore.version + 1, 'the root was replaced (its old version deleted)');
      assert.equal(rows.filter((r) => r.field === ROOT_FIELD).length, 1);
      const others = rows.filter((r) => r.field !== ROOT_FIELD);
      assert.deepEqual(others.map((r) => r.field).sort(), ['entra_client_secret', 'graph_refresh_token', 'partner_center_refresh_token'].filter((f) => others.some((r) => r.field === f)).sort());
      assert.ok(others.length >= 2);
      const opened = await system.services.vault.openMany(partner.id, rows.map((r) => r.field));
      assert.equal(opened[ROOT_FIELD], newRoot);
      assert.equal(opened.entra_client_secret, tenant.facts.totalOneApp.secret);
      const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      const oldKey = derivePartnerKey(oldRoot, partner.id);
      const newKey = derivePartnerKey(newRoot, partner.id);
      for (const row of others) {
        const place = { partnerId: partner.id, field: row.field, version: row.version };
        assert.throws(() => unwrapWithPartnerKey(oldKey, bytes(row.wrapped_key), place), Error, `${row.field} must not open under the old root`);
        assert.doesNotThrow(() => unwrapWithPartnerKey(newKey, bytes(row.wrapped_key), place), `${row.field} opens under the new root`);
      }

      // Reminders follow the new secret: its keyId, its end, a round of its own.
      const tracked = await db.selectFrom('partner_secrets').selectAll().where('partner_id', '=', partner.id).where('credential', '=', 'partner_center_web_app_secret').executeTakeFirstOrThrow();
      assert.equal(tracked.key_id, added!.secret!.keyId);
      assert.equal(new Date(tracked.ends_at!).toISOString(), added!.secret!.endDateTime);
      const connection = await db.selectFrom('microsoft_connections').select(['partner_center_secret_hint', 'partner_center_secret_expires_on']).where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
      assert.equal(connection.partner_center_secret_hint, newRoot.slice(0, 3));

      // Audited, and both contacts told.
      const events = (await system.services.audit.forPartner(partner.id)).map((e) => e.action);
      for (const action of ['credential_update_link.issued', 'credential_update_link.claimed', 'credentials.updated']) assert.ok(events.includes(action), action);
      const secondary = (await db.selectFrom('contacts').select('email').where('partner_id', '=', partner.id).where('role', '=', 'secondary').executeTakeFirstOrThrow()).email;
      await waitFor('both contacts told', async () => [email, secondary].every((to) => system.catcher!.messages().some((m) => m.to.includes(to) && /now uses your new Microsoft secret/.test(m.subject))), 15_000);
      const told = system.catcher!.messages().find((m) => m.to.includes(secondary) && /now uses your new Microsoft secret/.test(m.subject))!;
      assert.match(told.text, /the Partner Center web app secret/);
      assert.ok(!told.text.includes(newRoot), 'never the secret itself');

      // A new link runs out after 48 hours, unused.
      assert.equal((await browser.post('/api/status/credential-update-link')).status, 200);
      await waitFor('a third update link email', async () => linkMails().length >= 3, 15_000);
      const late = linkMails().find((m) => ![older, newest].includes(linkToken(m.text, 'credentials')))!;
      system.clock.advance(48 * HOUR + 60_000);
      const expired = await new Browser(system.url!).post('/api/credential-update-links/claim', { token: linkToken(late.text, 'credentials') });
      assert.equal(expired.status, 410);
      assert.equal(expired.body.error.code, 'LINK_EXPIRED');

      // Three links an hour per partner (asked from the status page the update left open in its browser).
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await updater.post('/api/status/credential-update-link')).status);
      assert.deepEqual(answers, [200, 200, 200, 429]);
    });

    it('an expired secret: asked for anonymously, both secrets replaced, the partner leaves attention and the import resumes', async () => {
      const db = system.database.db;
      const partner = await db.selectFrom('partners').select('id').where('state', '=', 'active').executeTakeFirstOrThrow();
      const email = (await db.selectFrom('contacts').select('email').where('partner_id', '=', partner.id).where('role', '=', 'primary').executeTakeFirstOrThrow()).email;
      const webAppId = tenant.facts.partnerCenter.webAppId;

      // The Partner Center secret expired: the daily job finds it, the partner needs attention.
      tenant.patch({ op: 'setSecretExpiry', appId: webAppId, endDateTime: new Date(system.clock.now().getTime() - HOUR).toISOString() });
      await system.services.secretExpiry.runDaily();
      assert.equal(await partnerState(system, partner.id), 'needs_attention');

      // Anonymous requests answer the same, known address or not; only the known one sends a link.
      const anonymous = new Browser(system.url!);
      const known = await anonymous.post('/api/credential-update-requests', { email });
      const unknown = await anonymous.post('/api/credential-update-requests', { email: 'nobody@unknown.example' });
      assert.equal(known.status, 202);
      assert.deepEqual(unknown.body, known.body);
      const linkMails = () => system.catcher!.messages().filter((m) => m.to.includes(email) && /link to update the Microsoft secrets/.test(m.subject));
      // The job issued it (revoking every earlier link): the one usable link in the inbox is it.
      await waitFor('the requested link issued', async () => (await system.services.audit.forPartner(partner.id)).some((e) => e.action === 'credential_update_link.issued' && (e.details as { issuedBy?: string }).issuedBy === 'self-service'));
      const requested = await waitFor('the requested link', async () => {
        for (const mail of linkMails()) {
          const token = linkToken(mail.text, 'credentials');
          if ((await anonymous.post('/api/credential-update-links/inspect', { token })).status === 200) return token;
        }
        return undefined;
      }, 15_000);
      await waitFor('the unknown request handled', async () => (await system.services.audit.forPartner(partner.id)).length > 0 && (await db.selectFrom('audit_events').select('id').where('action', '=', 'credential_update_link.request_ignored').executeTakeFirst()));
      assert.ok(!system.catcher!.messages().some((m) => m.to.includes('nobody@unknown.example')));

      const updater = new Browser(system.url!);
      assert.equal((await updater.post('/api/credential-update-links/claim', { token: requested })).status, 200);
      const [pc] = tenant.patch({ op: 'addClientSecret', appId: webAppId });
      const [entra] = tenant.patch({ op: 'addClientSecret' });
      const updated = await updater.post('/api/credential-update', { webAppSecret: pc!.secret!.secretText, clientSecret: entra!.secret!.secretText });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.deepEqual(updated.body.done.updated.sort(), ['entra_client_secret', 'partner_center_web_app_secret']);
      assert.equal(updated.body.done.resumedImport, true);
      const finding = await db.selectFrom('partner_attention').select(['code', 'resolved_by']).where('partner_id', '=', partner.id).orderBy('opened_at', 'desc').executeTakeFirstOrThrow();
      assert.deepEqual(finding, { code: 'AADSTS7000222', resolved_by: 'credentials_updated' });
      const transitions = (await system.services.audit.forPartner(partner.id)).filter((e) => e.action === 'partner.state_changed').map((e) => e.details as { transition: string; by?: string });
      assert.ok(transitions.some((t) => t.transition === 'clearAttention' && t.by === 'credentials_updated'), 'left attention through the named transition');
      await waitFor('partner active again', async () => (await partnerState(system, partner.id)) === 'active', 60_000);
      const opened = await system.services.vault.openMany(partner.id, [ROOT_FIELD, 'entra_client_secret']);
      assert.deepEqual(opened, { [ROOT_FIELD]: pc!.secret!.secretText, entra_client_secret: entra!.secret!.secretText });
      const tracked = await db.selectFrom('partner_secrets').select(['credential', 'key_id']).where('partner_id', '=', partner.id).orderBy('credential').execute();
      assert.deepEqual(tracked, [
        { credential: 'entra_client_secret', key_id: entra!.secret!.keyId },
        { credential: 'partner_center_web_app_secret', key_id: pc!.secret!.keyId },
      ]);
      // A reminder of the new secret has a round of its own: sent although the old secret's were.
      system.clock.set(new Date(Date.parse(pc!.secret!.endDateTime) - 59.5 * DAY));
      await system.services.secretExpiry.runDaily();
      const reminders = await db.selectFrom('outbox').select('idempotency_key').where('partner_id', '=', partner.id).where('template', '=', 'secret_expiry_reminder').execute();
      assert.ok(reminders.some((r) => r.idempotency_key.includes(`${pc!.secret!.keyId}@`) && r.idempotency_key.endsWith(':60:primary')), JSON.stringify(reminders));
    });
  });
}
