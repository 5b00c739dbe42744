import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { startEmulator } from '../../emulator/index.ts';
import { createTestDatabase } from '../support/database.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';
import { startTestSystem } from '../support/system.ts';

// A connection lost while a customer page's COMMIT is on its way leaves the outcome unknown to the
// worker: the page may be stored or not. The import asks the database (the run's page count) and
// goes on either way, instead of failing its job and waiting for the job's retry. Here the first
// page's COMMIT takes effect and then reports a lost connection, as node-postgres does when the
// server's answer never arrives.

/** The database as the system sees it, with the first customer page's COMMIT cut off after it took effect. */
function cuttingFirstPageCommit(pglite: PGlite): { pglite: PGlite; cut: () => boolean } {
  let cut = false;
  const watched = (tx: Transaction, onCustomers: () => void) =>
    new Proxy(tx, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if ((property === 'query' || property === 'exec') && /insert into "customers"/i.test(String(args[0]))) onCustomers();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const wrapped = new Proxy(pglite, {
    get(target, property) {
      if (property === 'transaction') {
        return async <T>(body: (tx: Transaction) => Promise<T>): Promise<T> => {
          let page = false;
          const result = await target.transaction((tx) => body(watched(tx, () => (page = true))));
          if (page && !cut) {
            cut = true;
            throw new Error('Connection terminated unexpectedly');
          }
          return result;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { pglite: wrapped, cut: () => cut };
}

describe('customer import: a page whose COMMIT was cut off (pglite)', () => {
  it('finds the page stored and goes on in the same job: every customer once, the pages counted once', async () => {
    const emulator = await startEmulator({ scenario: 'ready' });
    const database = await createTestDatabase('pglite');
    const faulty = cuttingFirstPageCommit(database.pglite!);
    const system = await startTestSystem('pglite', { emulator, database: { ...database, pglite: faulty.pglite } });
    try {
      const { partner } = await connectPartner(system, emulator, { customers: 90, prepare: (tenant) => void (tenant.partnerCenter.maxPageSize = 30) });
      await waitFor('the import done', async () => (await partnerState(system, partner.id)) === 'active', 30_000);
      assert.ok(faulty.cut(), 'a page COMMIT was cut off');
      const db = system.database.db;
      const runs = await db.selectFrom('sync_runs').select(['status', 'pages', 'customers_seen', 'total_count', 'job_id']).where('partner_id', '=', partner.id).execute();
      assert.equal(runs.length, 1);
      assert.deepEqual({ ...runs[0], job_id: undefined }, { status: 'completed', pages: 3, customers_seen: 90, total_count: 90, job_id: undefined });
      const customers = await db.selectFrom('customers').select('customer_id').where('partner_id', '=', partner.id).execute();
      assert.equal(customers.length, 90);
      assert.ok(system.logLines.some((line) => line.includes('database connection lost during COMMIT; the transaction had taken effect')), 'the worker asked and found the page stored');
      assert.ok(!system.logLines.some((line) => line.includes('"job":"sync.customers"') && line.includes('"level":50')), 'the import job did not fail');
    } finally {
      await system.dispose();
      await emulator.close();
    }
  });
});
