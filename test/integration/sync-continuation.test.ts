import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';
import { testBackends } from '../support/database.ts';
import { startTestSystem } from '../support/system.ts';

// Partner Center's continuation tokens do not live forever: a run resumed after a long stop may
// hold one that Partner Center refuses (400 for a token it does not know). The run reads the list
// again from its first page; upserts make that safe.

for (const backend of testBackends()) {
  describe(`customer import: a continuation point Partner Center no longer accepts (${backend})`, () => {
    it('the resumed run reads the list again from the first page and completes with every customer once', async () => {
      const emulator = await startEmulator({ scenario: 'ready' });
      let system = await startTestSystem(backend, { emulator });
      try {
        const { partner } = await connectPartner(system, emulator, {
          prepare: (tenant) => {
            tenant.partnerCenter.maxPageSize = 100;
          },
          patches: [{ op: 'setCustomers', count: 700 }],
        });
        const db = () => system.database.db;
        await waitFor('the first import done', async () => (await partnerState(system, partner.id)) === 'active', 60_000);
        // What a worker that stopped after three pages leaves, days ago: a running run whose stored
        // continuation point Partner Center has forgotten since.
        const now = system.clock.now();
        await db().insertInto('sync_runs').values({ partner_id: partner.id, reason: 'scheduled', status: 'running', correlation_id: '6f1c1d2e-8a4b-4c5d-9e6f-7a8b9c0d1e2f', continuation_token: 'a-continuation-token-partner-center-no-longer-knows', pages: 3, customers_seen: 300, started_at: now, updated_at: now }).execute();
        await db().updateTable('partners').set({ state: 'syncing' }).where('id', '=', partner.id).execute();
        await system.stop();
        system = await system.restart({ roles: ['web', 'worker'] });
        await waitFor('the partner active', async () => (await partnerState(system, partner.id)) === 'active', 60_000);
        const customers = await db().selectFrom('customers').select(['customer_id']).where('partner_id', '=', partner.id).where('removed_at', 'is', null).execute();
        assert.equal(customers.length, 700, 'every customer, once');
        const runs = await db().selectFrom('sync_runs').select(['status', 'total_count']).where('partner_id', '=', partner.id).execute();
        assert.deepEqual(runs.map((r) => [r.status, r.total_count]), [['completed', 700], ['completed', 700]], 'the first import and the resumed run, both completed');
        const restarted = await db().selectFrom('audit_events').select('action').where('partner_id', '=', partner.id).where('action', '=', 'sync.restarted_from_first_page').execute();
        assert.equal(restarted.length, 1);
      } finally {
        await system.dispose();
        await emulator.close();
      }
    });
  });
}
