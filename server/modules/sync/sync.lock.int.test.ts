import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../db/database.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { createPartnerLock } from './sync.lock.ts';

// The partner lock on PostgreSQL is a session advisory lock. A session that dies (terminated,
// dropped) tells its client before its server process has ended and let go of the lock: the holder
// must wait for its own old session rather than take the lock for someone else's and stop its run.

const serverUrl = process.env.TEST_POSTGRES_URL;
const postgres = serverUrl ? describe : describe.skip;

/** The pool, with each checked-out client recorded and a release that destroys a client only `lagMs` later. */
function laggingPool(pool: pg.Pool, lagMs: number) {
  const clients: pg.PoolClient[] = [];
  const wrapped = Object.create(pool) as pg.Pool;
  wrapped.connect = (async () => {
    const client = await pool.connect();
    clients.push(client);
    const release = client.release.bind(client);
    client.release = ((error?: Error | boolean) => {
      if (error) setTimeout(() => release(error), lagMs);
      else release();
    }) as typeof client.release;
    return client;
  }) as typeof pool.connect;
  return { pool: wrapped, clients };
}

function recordingLogger() {
  const lines: string[] = [];
  const log = (_fields: unknown, message?: string) => void lines.push(message ?? '');
  return { lines, logger: { info: log, warn: log, error: log } };
}

postgres('partner lock: a lost session (postgres)', () => {
  let testDb: TestDatabase;
  let database: DatabaseHandle;
  const partnerId = '0b6c8a52-8f0e-4c43-9a61-2d8f6e3b7a10';

  before(async () => {
    testDb = await createTestDatabase('postgres');
    database = await openDatabase({ url: testDb.url });
  });
  after(async () => {
    await database?.close();
    await testDb?.drop();
  });

  it('takes the lock again once its old session has ended, though that session still held it when the loss was noticed', async () => {
    const { pool, clients } = laggingPool(database.pgPool!, 1500);
    const { lines, logger } = recordingLogger();
    const lock = createPartnerLock({ ...database, pgPool: pool }, { logger });
    const result = await lock.withLock(partnerId, async (signal) => {
      // The lock's session reports its death; its server process goes on 1.5 s longer.
      clients[0]!.emit('error', new Error('terminating connection due to administrator command'));
      const until = Date.now() + 10_000;
      while (!lines.includes('sync lock taken again; the run continues') && !signal.aborted && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      return { aborted: signal.aborted, lines: [...lines] };
    });
    assert.ok(result.acquired);
    assert.equal(result.value.aborted, false, `the run goes on; the lock said: ${result.value.lines.join(' | ')}`);
    assert.ok(result.value.lines.includes('sync lock taken again; the run continues'), result.value.lines.join(' | '));
    assert.equal(await lock.isHeld(partnerId), false, 'released at the end');
  });

  it('stops the run when another session took the lock once the old one had ended', async () => {
    const { pool, clients } = laggingPool(database.pgPool!, 1000);
    const { lines, logger } = recordingLogger();
    const lock = createPartnerLock({ ...database, pgPool: pool }, { logger });
    const other = await database.pgPool!.connect();
    try {
      const result = await lock.withLock(partnerId, async (signal) => {
        clients[0]!.emit('error', new Error('terminating connection due to administrator command'));
        // Another worker takes the lock as soon as the old session lets go of it.
        const until = Date.now() + 10_000;
        while (!(await other.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [`sync:${partnerId}`])).rows[0]!.locked) {
          if (Date.now() > until) throw new Error('the old session never let go of the lock');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        while (!signal.aborted && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
        return { aborted: signal.aborted };
      });
      assert.ok(result.acquired);
      assert.equal(result.value.aborted, true, lines.join(' | '));
      assert.ok(lines.includes('another worker took the sync lock while our session was away; this run stops'), lines.join(' | '));
    } finally {
      await other.query('SELECT pg_advisory_unlock_all()');
      other.release();
    }
  });
});
