import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, testBackends, type TestDatabase } from '../support/database.ts';

// The test databases themselves: a database a test lets go of is emptied and handed to the next
// test of the process, so the next test must find exactly what the migrations put there and
// nothing of the test before; a test that changed the schema leaves a database nobody gets again.

async function query<R>(database: TestDatabase, text: string): Promise<R[]> {
  if (database.pglite) return (await database.pglite.query<R>(text)).rows;
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(text)).rows as R[];
  } finally {
    await client.end();
  }
}

const count = async (database: TestDatabase, table: string) => Number((await query<{ n: number }>(database, `SELECT count(*)::int AS n FROM ${table}`))[0]!.n);

for (const backend of testBackends()) {
  describe(`test databases (${backend})`, () => {
    it('the next test finds the template: no rows of the test before (append-only audit rows too), the migrations\u2019 own rows, sequences from 1', async () => {
      const first = await createTestDatabase(backend);
      const migrations = await count(first, 'kysely_migration');
      const queues = await count(first, 'pgboss.queue');
      assert.ok(migrations > 0 && queues > 0, 'the template is migrated, with its job queues');
      await query(first, `INSERT INTO audit_events (occurred_at, actor_type, action) VALUES (now(), 'system', 'test.one'), (now(), 'system', 'test.two')`);
      await query(first, `INSERT INTO rate_limits (key, window_start, hits) VALUES ('k', now(), 1)`);
      await query(first, `DELETE FROM pgboss.queue`);
      await first.drop();

      const next = await createTestDatabase(backend);
      try {
        assert.equal(await count(next, 'audit_events'), 0);
        assert.equal(await count(next, 'rate_limits'), 0);
        assert.equal(await count(next, 'kysely_migration'), migrations);
        assert.equal(await count(next, 'pgboss.queue'), queues, 'the job queues are back');
        const [row] = await query<{ id: number | string }>(next, `INSERT INTO audit_events (occurred_at, actor_type, action) VALUES (now(), 'system', 'test.three') RETURNING id`);
        assert.equal(Number(row!.id), 1, 'the sequence starts again');
      } finally {
        await next.drop();
      }
    });

    it('a database whose schema a test changed is not handed on', async () => {
      const changed = await createTestDatabase(backend);
      await query(changed, 'CREATE TABLE public.left_behind (x integer)');
      await changed.drop();
      const next = await createTestDatabase(backend);
      try {
        const tables = await query(next, `SELECT 1 FROM pg_tables WHERE tablename = 'left_behind'`);
        assert.equal(tables.length, 0);
        if (backend === 'postgres') assert.notEqual(next.url, changed.url);
      } finally {
        await next.drop();
      }
    });

    if (backend === 'pglite') {
      it('what a test left running fails once the test has let its PGlite go, instead of writing into the next test\u2019s data', async () => {
        const first = await createTestDatabase(backend);
        const leftover = first.pglite!;
        await first.drop();
        const next = await createTestDatabase(backend);
        try {
          assert.throws(() => leftover.query(`INSERT INTO rate_limits (key, window_start, hits) VALUES ('late', now(), 1)`), /let go/);
          assert.equal(await count(next, 'rate_limits'), 0);
        } finally {
          await next.drop();
        }
      });
    }

    if (backend === 'postgres') {
      it('the pool is handed on with its connections, clean: no session state, locks or transaction of the test before; other sessions ended', async () => {
        const first = await createTestDatabase(backend);
        const held = await first.pool!.connect();
        const pid = (held as unknown as { processID: number }).processID;
        await held.query(`SET statement_timeout = '1234ms'`);
        await held.query('SELECT pg_advisory_lock(4242)');
        await held.query('BEGIN');
        await held.query(`INSERT INTO rate_limits (key, window_start, hits) VALUES ('open', now(), 1)`);
        held.release();
        const stranger = new pg.Client({ connectionString: first.url });
        await stranger.connect();
        stranger.on('error', () => undefined);
        await first.drop();

        const next = await createTestDatabase(backend);
        try {
          assert.equal(next.pool, first.pool, 'the same pool');
          const again = await next.pool!.connect();
          try {
            assert.equal((again as unknown as { processID: number }).processID, pid, 'the same connection');
            assert.equal((await again.query('SHOW statement_timeout')).rows[0].statement_timeout, '0');
            assert.equal((await again.query('SELECT count(*)::int AS n FROM pg_locks WHERE locktype = $1 AND objid = 4242', ['advisory'])).rows[0].n, 0);
            assert.equal((await again.query('SELECT count(*)::int AS n FROM rate_limits')).rows[0].n, 0);
            assert.equal((await again.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows[0].n, 0, 'the other session was ended');
          } finally {
            again.release();
          }
        } finally {
          await next.drop();
          await stranger.end().catch(() => undefined);
        }
      });

      it('a database whose pool a test still holds a connection of is not handed on, and letting it go does not wait for it', async () => {
        const first = await createTestDatabase(backend);
        const kept = await first.pool!.connect();
        kept.on('error', () => undefined);
        await first.drop();
        const next = await createTestDatabase(backend);
        try {
          assert.notEqual(next.url, first.url);
          await assert.rejects(kept.query('SELECT 1'), 'the kept connection ended with its database');
        } finally {
          kept.release();
          await next.drop();
        }
      });
    }
  });
}
