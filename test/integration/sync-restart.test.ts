import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';
import { testBackends, type Backend } from '../support/database.ts';
import { startTestSystem } from '../support/system.ts';
import { activeOperator, signIn } from './operators.helpers.ts';

// Support can always restart an import, also one in progress (e.g. stuck behind Partner Center
// throttling): that run ends at its next page, a new run reads every customer again.

/** A partner whose first import (300 customers in 15 slow pages) has stored a few pages. */
async function slowImportUnderWay(backend: Backend) {
  const emulator = await startEmulator({ scenario: 'ready' });
  const system = await startTestSystem(backend, { emulator });
  try {
    const { partner, tenant } = await connectPartner(system, emulator, {
      prepare: (built) => {
        built.partnerCenter.maxPageSize = 20;
      },
      patches: [{ op: 'setCustomers', count: 300 }, { op: 'setFaults', faults: { latencyMs: 150 } }],
    });
    await waitFor('the import under way', async () => {
      const run = await system.database.db.selectFrom('sync_runs').select('pages').where('partner_id', '=', partner.id).where('status', '=', 'running').executeTakeFirst();
      return run && run.pages >= 2;
    });
    return { emulator, system, partner, tenant };
  } catch (error) {
    await system.dispose();
    await emulator.close();
    throw error;
  }
}

for (const backend of testBackends()) {
  describe(`customer import: support stops or restarts a run in progress (${backend})`, () => {
    it('the running run ends (audited as restarted by support), a new run completes; every customer once, one "ready" email', async () => {
      const { emulator, system, partner, tenant } = await slowImportUnderWay(backend);
      try {
        const db = system.database.db;
        const console = await signIn(system, await activeOperator(system, 'support'));
        const detail = await console.get(`/api/console/partners/${partner.id}`);
        assert.ok(detail.body.availableActions.includes('restart_sync'), `restart offered while importing: ${detail.body.availableActions}`);
        const restarted = await console.post(`/api/console/partners/${partner.id}/sync-runs`, { reason: 'Stuck behind throttling since this morning' });
        assert.equal(restarted.status, 200, JSON.stringify(restarted.body));

        tenant.patch({ op: 'setFaults', faults: { latencyMs: 0 } });
        await waitFor('a new run completed', async () => {
          const runs = await db.selectFrom('sync_runs').select(['status']).where('partner_id', '=', partner.id).orderBy('seq').execute();
          return runs.length === 2 && runs[1]!.status === 'completed';
        }, 90_000);
        const runs = await db.selectFrom('sync_runs').select(['status', 'error', 'total_count']).where('partner_id', '=', partner.id).orderBy('seq').execute();
        assert.equal(runs[0]!.status, 'failed');
        assert.equal((runs[0]!.error as { code: string }).code, 'RESTARTED_BY_SUPPORT');
        assert.equal(runs[1]!.total_count, 300);
        assert.equal(await partnerState(system, partner.id), 'active');
        const customers = await db.selectFrom('customers').select('customer_id').where('partner_id', '=', partner.id).where('removed_at', 'is', null).execute();
        assert.equal(customers.length, 300);
        const ready = await db.selectFrom('outbox').select('id').where('partner_id', '=', partner.id).where('template', '=', 'sync_completed').execute();
        assert.equal(ready.length, 1, 'one "ready" email');
      } finally {
        await system.dispose();
        await emulator.close();
      }
    });

    it('support stops the first import in progress: the run ends, nothing waits to start, the partner is connected again; a restart completes it', async () => {
      const { emulator, system, partner, tenant } = await slowImportUnderWay(backend);
      try {
        const db = system.database.db;
        const console = await signIn(system, await activeOperator(system, 'support'));
        assert.ok((await console.get(`/api/console/partners/${partner.id}`)).body.availableActions.includes('stop_sync'));
        const stopped = await console.post(`/api/console/partners/${partner.id}/sync-stops`, { reason: 'Partner asked to pause the import' });
        assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
        assert.equal(stopped.body.partnerState, 'connected');
        const run = await db.selectFrom('sync_runs').select(['status', 'error', 'customers_seen']).where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
        assert.equal(run.status, 'failed');
        assert.equal((run.error as { code: string }).code, 'STOPPED_BY_SUPPORT');
        // The worker lets go at its next page; nothing starts again by itself.
        await waitFor('the worker let go of the stopped run', async () => system.logLines.some((line) => line.includes('the run was finished elsewhere')), 30_000);
        assert.equal(await partnerState(system, partner.id), 'connected');
        assert.equal((await db.selectFrom('sync_runs').select('id').where('partner_id', '=', partner.id).execute()).length, 1, 'no new run');
        assert.equal((await console.post(`/api/console/partners/${partner.id}/sync-stops`, { reason: 'twice' })).status, 409);

        tenant.patch({ op: 'setFaults', faults: { latencyMs: 0 } });
        const detail = await console.get(`/api/console/partners/${partner.id}`);
        assert.ok(detail.body.availableActions.includes('restart_sync'), `restart offered after the stop: ${detail.body.availableActions}`);
        assert.equal((await console.post(`/api/console/partners/${partner.id}/sync-runs`, { reason: 'Continue now' })).status, 200);
        await waitFor('the partner active', async () => (await partnerState(system, partner.id)) === 'active', 90_000);
        const customers = await db.selectFrom('customers').select('customer_id').where('partner_id', '=', partner.id).where('removed_at', 'is', null).execute();
        assert.equal(customers.length, 300);
        const audit = await db.selectFrom('audit_events').select('action').where('partner_id', '=', partner.id).where('action', 'in', ['console.sync_stopped', 'console.sync_restarted']).execute();
        assert.deepEqual(audit.map((a) => a.action).sort(), ['console.sync_restarted', 'console.sync_stopped']);
      } finally {
        await system.dispose();
        await emulator.close();
      }
    });
  });
}
