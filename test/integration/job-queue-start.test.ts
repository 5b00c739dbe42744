import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { z } from 'zod';
import { openDatabase } from '../../server/db/database.ts';
import { createJobQueue, defineJob, type AnyJob } from '../../server/jobs/queue.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { createTestDatabase, testBackends } from '../support/database.ts';

// Start-up brings pg-boss' queues and schedules to what the jobs declare, and writes nothing when
// they are already so: every process start (and every test) would otherwise rewrite them all.

const logger = createLogger({ level: 'silent' });
const job = (queue: AnyJob['queue'], schedule: AnyJob['schedule']) =>
  defineJob({ name: 'test.start', payload: z.object({ kind: z.string() }), queue, worker: { batchSize: 1, pollingIntervalSeconds: 60 }, schedule, async handler() {} }) as AnyJob;

for (const backend of testBackends()) {
  describe(`job queue start-up (${backend})`, () => {
    it('creates queues and schedules, leaves them untouched when unchanged, and updates what changed', async () => {
      const testDb = await createTestDatabase(backend);
      const database = await openDatabase({ url: testDb.url, ...(testDb.pglite ? { pglite: testDb.pglite } : {}) });
      const stored = async () => {
        const { rows: [queue] } = await sql<{ policy: string; retry_limit: number; retry_delay: number; updated_on: Date }>`SELECT policy, retry_limit, retry_delay, updated_on FROM pgboss.queue WHERE name = 'test.start'`.execute(database.db);
        const { rows: [schedule] } = await sql<{ cron: string; data: unknown; updated_on: Date }>`SELECT cron, data, updated_on FROM pgboss.schedule WHERE name = 'test.start'`.execute(database.db);
        return { queue: queue!, schedule };
      };
      const start = async (jobs: AnyJob[]) => {
        const queue = createJobQueue(database, logger);
        await queue.start(jobs);
        await queue.startWorkers(jobs, {});
        await queue.stop({ graceful: false, timeoutMs: 1000 });
      };
      try {
        await start([job({ policy: 'singleton', retryLimit: 3, retryDelay: 10, expireInSeconds: 60 }, { cron: '0 3 * * *', payload: { kind: 'nightly' } })]);
        const first = await stored();
        assert.equal(first.queue.policy, 'singleton');
        assert.equal(first.queue.retry_limit, 3);
        assert.equal(first.schedule?.cron, '0 3 * * *');
        assert.deepEqual(first.schedule?.data, { kind: 'nightly' });

        // The same declarations again: nothing written.
        await start([job({ policy: 'singleton', retryLimit: 3, retryDelay: 10, expireInSeconds: 60 }, { cron: '0 3 * * *', payload: { kind: 'nightly' } })]);
        const again = await stored();
        assert.equal(again.queue.updated_on.getTime(), first.queue.updated_on.getTime(), 'the queue was not rewritten');
        assert.equal(again.schedule?.updated_on.getTime(), first.schedule?.updated_on.getTime(), 'the schedule was not rewritten');

        // Changed settings, schedule and payload: written. No policy means the standard one.
        await start([job({ retryLimit: 5, retryDelay: 10, expireInSeconds: 60 }, { cron: '0 4 * * *', payload: { kind: 'early' } })]);
        const changed = await stored();
        assert.equal(changed.queue.policy, 'standard');
        assert.equal(changed.queue.retry_limit, 5);
        assert.equal(changed.schedule?.cron, '0 4 * * *');
        assert.deepEqual(changed.schedule?.data, { kind: 'early' });

        // Only the payload changes: written.
        await start([job({ retryLimit: 5, retryDelay: 10, expireInSeconds: 60 }, { cron: '0 4 * * *', payload: { kind: 'late' } })]);
        assert.deepEqual((await stored()).schedule?.data, { kind: 'late' });

        // The schedule is gone from the declaration: removed.
        await start([job({ retryLimit: 5, retryDelay: 10, expireInSeconds: 60 }, undefined)]);
        assert.equal((await stored()).schedule, undefined);
      } finally {
        await database.close();
        await testDb.drop();
      }
    });
  });
}
