import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../server/db/database.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../support/database.ts';

for (const backend of testBackends()) {
  describe(`database layer (${backend})`, () => {
    let testDb: TestDatabase;
    let database: DatabaseHandle;

    before(async () => {
      testDb = await createTestDatabase(backend);
      database = await openDatabase({ url: testDb.url, ...(testDb.pglite ? { pglite: testDb.pglite } : {}) });
      await migrateToLatest(database.db);
      await sql`CREATE TABLE concurrency_probe (id int PRIMARY KEY, label text NOT NULL)`.execute(database.db);
    });
    after(async () => {
      await database.close();
      await testDb.drop();
    });

    it('concurrent transactions, some failing, leave exactly the committed rows', async () => {
      const attempts = Array.from({ length: 40 }, (_, i) => i);
      const results = await Promise.allSettled(
        attempts.map((i) =>
          database.db.transaction().execute(async (tx) => {
            await tx.insertInto('concurrency_probe' as any).values({ id: i, label: `row ${i}` }).execute();
            // Give the other transactions every chance to interleave.
            await new Promise((r) => setTimeout(r, i % 3));
            await tx.selectFrom('concurrency_probe' as any).select('id').execute();
            if (i % 4 === 0) throw new Error(`transaction ${i} fails on purpose`);
            await tx.insertInto('concurrency_probe' as any).values({ id: 1000 + i, label: `second row ${i}` }).execute();
          }),
        ),
      );
      const failed = results.filter((r) => r.status === 'rejected').length;
      assert.equal(failed, 10);
      const rows = await database.db.selectFrom('concurrency_probe' as any).select('id').orderBy('id').execute();
      const expected = attempts.filter((i) => i % 4 !== 0).flatMap((i) => [i, 1000 + i]).sort((a, b) => a - b);
      assert.deepEqual(rows.map((r: any) => r.id), expected);
    });

    it('a failed statement inside a transaction rolls back only that transaction', async () => {
      await assert.rejects(
        database.db.transaction().execute(async (tx) => {
          await tx.insertInto('concurrency_probe' as any).values({ id: 5000, label: 'kept?' }).execute();
          await tx.insertInto('concurrency_probe' as any).values({ id: 5000, label: 'duplicate key' }).execute();
        }),
      );
      const [single] = await Promise.all([
        database.db.selectFrom('concurrency_probe' as any).select('id').where('id', '=', 5000).execute(),
        database.db.insertInto('concurrency_probe' as any).values({ id: 5001, label: 'after' }).execute(),
      ]);
      assert.equal(single.length, 0);
    });

    it('counts come back as numbers on both back-ends', async () => {
      const row = await database.db.selectFrom('concurrency_probe' as any).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      assert.equal(typeof (row as any).n, 'number');
    });

    it('audit events cannot be updated, deleted or truncated', async () => {
      await database.db.insertInto('audit_events').values({ occurred_at: new Date(), actor_type: 'system', action: 'test.event', details: '{}' }).execute();
      await assert.rejects(database.db.updateTable('audit_events').set({ action: 'changed' }).execute(), /append-only/);
      await assert.rejects(database.db.deleteFrom('audit_events').execute(), /append-only/);
      await assert.rejects(sql`TRUNCATE audit_events`.execute(database.db), /append-only/);
      const rows = await database.db.selectFrom('audit_events').select('action').execute();
      assert.deepEqual(rows.map((r) => r.action), ['test.event']);
    });
  });
}

describe('PGlite data folder lock', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'totalone-lock-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a second process refuses to open a data folder that is in use, and a stale lock is taken over', async () => {
    const first = await openDatabase({ dataDir: dir });
    try {
      const script = `import { openDatabase } from './server/db/database.ts';
        try { const d = await openDatabase({ dataDir: ${JSON.stringify(dir)} }); await d.close(); console.log('OPENED'); }
        catch (e) { console.log('REFUSED: ' + e.message); }`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: process.cwd() });
      assert.match(child.stdout, /REFUSED: The data folder is in use by another process/, child.stderr);
      await assert.rejects(openDatabase({ dataDir: dir }), /in use by another process/);
    } finally {
      await first.close();
    }
    // A lock left behind by a process that died is taken over.
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(join(dir, 'pglite.lock'), String(dead));
    const again = await openDatabase({ dataDir: dir });
    await again.close();
  });
});
