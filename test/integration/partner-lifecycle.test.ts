import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { partnerStates } from '../../contracts/partner-states.ts';
import { testBackends } from '../support/database.ts';
import { claimedSignup } from '../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The partner lifecycle has one owner: the database accepts exactly the states of contracts/, a
// transition from a state the table does not allow is refused with a conflict and changes nothing,
// and every transition writes its audit event.

for (const backend of testBackends()) {
  describe(`partner lifecycle (${backend})`, () => {
    let system: TestSystem;

    before(async () => {
      system = await startTestSystem(backend);
    });
    after(async () => {
      await system.dispose();
    });

    it('the database check constraint lists exactly the states of contracts/', async () => {
      const row = await sql<{ def: string }>`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'partners_state_check'`.execute(system.database.db);
      const listed = [...row.rows[0]!.def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
      assert.deepEqual([...listed].sort(), [...partnerStates].sort());
    });

    it('transitions follow the table, refuse a partner that is elsewhere, and write their audit events', async () => {
      const { partner } = await claimedSignup(system);
      const db = system.database.db;
      const lifecycle = system.services.lifecycle;
      const state = async () => (await db.selectFrom('partners').select('state').where('id', '=', partner.id).executeTakeFirstOrThrow()).state;
      assert.equal(await state(), 'connecting');

      await assert.rejects(
        db.transaction().execute((tx) => lifecycle.markActive(tx, partner.id)),
        (error: Error & { code?: string; status?: number; details?: Record<string, unknown> }) => {
          assert.equal(error.code, 'PARTNER_STATE_CONFLICT');
          assert.equal(error.status, 409);
          assert.equal(error.details?.state, 'connecting');
          return true;
        },
      );
      assert.equal(await state(), 'connecting');
      assert.equal(await db.transaction().execute((tx) => lifecycle.markSyncing(tx, partner.id, { unlessIn: ['connecting'] })), false, 'unlessIn makes it a no-op');

      const events = await system.services.audit.forPartner(partner.id);
      const changes = events.filter((e) => e.action === 'partner.state_changed').map((e) => e.details as { transition: string; from: string; to: string });
      assert.deepEqual(
        changes.map((c) => `${c.from}->${c.to}:${c.transition}`),
        ['registered->email_verified:markEmailVerified', 'email_verified->link_sent:markLinkSent', 'link_sent->connecting:markConnecting'],
      );

      await assert.rejects(db.updateTable('partners').set({ state: 'nowhere' as never }).where('id', '=', partner.id).execute(), /check constraint|partners_state_check/);
    });

    it('suspension is a transition too, and a suspended partner cannot be suspended again', async () => {
      const { partner } = await claimedSignup(system);
      const db = system.database.db;
      await db.transaction().execute((tx) => system.services.lifecycle.suspend(tx, partner.id, { actor: { type: 'operator' }, details: { reason: 'test' } }));
      await assert.rejects(db.transaction().execute((tx) => system.services.lifecycle.suspend(tx, partner.id)), /not possible while the partner is in the state "suspended"/);
    });
  });
}
