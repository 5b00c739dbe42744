import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup } from '../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

for (const backend of testBackends()) {
  describe(`Step 3, terms (${backend})`, () => {
    let system: TestSystem;
    before(async () => {
      system = await startTestSystem(backend);
    });
    after(() => system.dispose());

    it('shows both documents in full with version and SHA-256', async () => {
      const response = await new Browser(system.url!).get('/api/connect/terms');
      assert.equal(response.status, 200);
      const docs = response.body.documents;
      assert.deepEqual(docs.map((d: { document: string }) => d.document), ['terms_of_use', 'privacy_policy']);
      for (const doc of docs) {
        assert.match(doc.sha256, /^[0-9a-f]{64}$/);
        assert.ok(doc.content.length > 500);
        assert.equal(doc.version, '1.0');
      }
    });

    it('records the acceptance append-only with document, version, hash, time, IP, user agent and contact', async () => {
      const { browser, partner, email } = await claimedSignup(system);
      const before = await browser.get('/api/connect/progress');
      assert.equal(before.status, 200);
      assert.equal(before.body.terms.accepted, false);
      const { body } = await browser.get('/api/connect/terms');
      const documents = body.documents.map((d: any) => ({ document: d.document, version: d.version, sha256: d.sha256 }));

      const unticked = await browser.post('/api/connect/terms-acceptances', { accepted: false, documents });
      assert.equal(unticked.status, 400);
      assert.match(unticked.body.error.fields[0].message, /Tick the box/);

      const stale = await browser.post('/api/connect/terms-acceptances', { accepted: true, documents: documents.map((d: any) => ({ ...d, sha256: '0'.repeat(64) })) });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error.code, 'TERMS_CHANGED');

      const accepted = await browser.request('POST', '/api/connect/terms-acceptances', { body: { accepted: true, documents }, headers: { 'user-agent': 'JourneyTest/1.0' } });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.terms.accepted, true);

      const rows = await system.database.db.selectFrom('terms_acceptances').innerJoin('contacts', 'contacts.id', 'terms_acceptances.contact_id').selectAll('terms_acceptances').select('contacts.email').where('terms_acceptances.partner_id', '=', partner.id).orderBy('document').execute();
      assert.equal(rows.length, 2);
      for (const row of rows) {
        assert.equal(row.email, email);
        assert.equal(row.version, '1.0');
        assert.equal(row.ip, '127.0.0.1');
        assert.equal(row.user_agent, 'JourneyTest/1.0');
        assert.ok(row.accepted_at);
      }
      await assert.rejects(system.database.db.updateTable('terms_acceptances').set({ version: '0.9' }).where('partner_id', '=', partner.id).execute(), /append-only/);
      await assert.rejects(system.database.db.deleteFrom('terms_acceptances').where('partner_id', '=', partner.id).execute(), /append-only/);
      await assert.rejects(sql`TRUNCATE terms_acceptances`.execute(system.database.db), /append-only/);
    });

    it('refuses without a claimed signup link in this browser', async () => {
      const stranger = new Browser(system.url!);
      const progress = await stranger.get('/api/connect/progress');
      assert.equal(progress.status, 404);
      assert.equal(progress.body.error.code, 'NO_SIGNUP_SESSION');
      const accept = await stranger.post('/api/connect/terms-acceptances', { accepted: true, documents: [{ document: 'terms_of_use', version: '1.0', sha256: 'a'.repeat(64) }] });
      assert.equal(accept.status, 404);
    });
  });
}
