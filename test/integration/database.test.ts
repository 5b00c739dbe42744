import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { startTicks, takeDataFolderLock } from '../../server/db/data-folder-lock.ts';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../server/db/database.ts';
import { compiledCommand } from '../support/compiled.ts';
import { createTestDatabase, migratedDemoDataFolder, testBackends, type TestDatabase } from '../support/database.ts';

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

    it('migrating a database that has every migration changes nothing; a missing one goes through the migrator; one the code does not know is refused', async () => {
      const names = async () => (await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(database.db)).rows.map((r) => r.name);
      const applied = await names();
      assert.ok(applied.length > 5);
      await migrateToLatest(database.db);
      assert.deepEqual(await names(), applied);
      // The newest migration's row gone (its tables stay): the migrator runs, and fails on the
      // tables that exist, rather than the start-up taking the database as up to date.
      const newest = applied.at(-1)!;
      await sql`DELETE FROM kysely_migration WHERE name = ${newest}`.execute(database.db);
      try {
        await assert.rejects(migrateToLatest(database.db), new RegExp(`Database migration ${newest} failed`));
      } finally {
        await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${newest}, ${new Date().toISOString()})`.execute(database.db);
      }
      // A migration of a newer version of the code: this code refuses the database.
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_from_a_newer_version', ${new Date().toISOString()})`.execute(database.db);
      try {
        await assert.rejects(migrateToLatest(database.db), /9999_from_a_newer_version/);
      } finally {
        await sql`DELETE FROM kysely_migration WHERE name = '9999_from_a_newer_version'`.execute(database.db);
      }
      await migrateToLatest(database.db);
      assert.deepEqual(await names(), applied);
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

const execFileAsync = promisify(execFile);

describe('PGlite data folder lock', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'totalone-lock-'));
    // A data folder after its first start (the lock is what is tested here, not initdb).
    await migratedDemoDataFolder(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a second process refuses to open a data folder that is in use, and a stale lock is taken over', async () => {
    const first = await openDatabase({ dataDir: dir });
    try {
      const child = await execFileAsync(process.execPath, [...(await compiledCommand('open-database')), dir], { encoding: 'utf8' });
      assert.match(child.stdout, /REFUSED: The data folder is in use by another process/, child.stderr);
      await assert.rejects(openDatabase({ dataDir: dir }), /already open in this process/);
    } finally {
      await first.close();
    }
    // A lock left behind by a process that died is taken over.
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(join(dir, 'pglite.lock'), String(dead));
    const again = await openDatabase({ dataDir: dir });
    await again.close();
  });

  // After a crash inside a container the new process often gets the old one's pid (pid 1, or the
  // same small number): that pid is alive, but it is not the holder.
  it('a lock file holding our own pid is taken over (a restarted container reuses pids)', async () => {
    const lock = join(dir, 'pglite.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), startTicks: '1', at: new Date().toISOString() }));
    const opened = await openDatabase({ dataDir: dir });
    await opened.close();
    writeFileSync(lock, String(process.pid)); // the lock file of an older version: only a pid
    const again = await openDatabase({ dataDir: dir });
    await again.close();
  });

  it('a lock file holding pid 1 is taken over when pid 1 started at another time, and refused when it is pid 1 itself', async () => {
    const lock = join(dir, 'pglite.lock');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const initStart = startTicks(1);
    assert.ok(initStart, 'pid 1 is visible here');
    writeFileSync(lock, JSON.stringify({ pid: 1, host: hostname(), bootId: boot, startTicks: String(Number(initStart) + 12345), at: new Date().toISOString() }));
    const opened = await openDatabase({ dataDir: dir });
    await opened.close();
    // The same pid 1 that wrote it (e.g. the app running as the container's pid 1, while an
    // operator runs a script beside it): held.
    writeFileSync(lock, JSON.stringify({ pid: 1, host: hostname(), bootId: boot, startTicks: initStart, at: new Date().toISOString() }));
    await assert.rejects(openDatabase({ dataDir: dir }), /in use by another process \(pid 1 on /);
    rmSync(lock);
  });

  it('a holder on another host (a container sharing the volume) holds while its heartbeat is fresh; a stale one is taken over', () => {
    const lock = join(dir, 'other-host.lock');
    writeFileSync(lock, JSON.stringify({ pid: 4242, host: 'another-container', bootId: 'another-boot', startTicks: '99', at: new Date().toISOString() }));
    assert.throws(() => takeDataFolderLock(lock, { staleAfterMs: 60_000 }), /pid 4242 on another-container.*expires/);
    const past = new Date(Date.now() - 120_000);
    utimesSync(lock, past, past);
    const release = takeDataFolderLock(lock, { staleAfterMs: 60_000 });
    assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid);
    release();
  });

  it('the holder keeps its lock file fresh while it runs', async () => {
    const lock = join(dir, 'fresh.lock');
    const release = takeDataFolderLock(lock, { heartbeatMs: 50 });
    try {
      const past = new Date(Date.now() - 120_000);
      utimesSync(lock, past, past);
      const deadline = Date.now() + 10_000;
      while (Date.now() - statSync(lock).mtimeMs > 60_000) {
        assert.ok(Date.now() < deadline, 'the heartbeat touched the file');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      release();
    }
  });
});
