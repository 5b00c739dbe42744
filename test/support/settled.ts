import { sql } from 'kysely';
import { waitFor } from './sync.ts';
import type { TestSystem } from './system.ts';

/**
 * Waits until the work already queued has been done: no email waits in the outbox and no job is
 * running, waiting for a retry or due (jobs scheduled for later are not waited for). What has not
 * happened by then (a second email, a retried run) is not going to happen on its own, so a test
 * checks "exactly one" after this instead of sleeping.
 */
export async function settled(system: Pick<TestSystem, 'database'>, timeoutMs = 30_000): Promise<void> {
  const db = system.database.db;
  await waitFor(
    'the outbox and the job queues to settle',
    async () => {
      const unsent = await db.selectFrom('outbox').select('id').where('status', '=', 'pending').limit(1).execute();
      if (unsent.length > 0) return false;
      const { rows } = await sql<{ one: number }>`
        SELECT 1 AS one FROM pgboss.job
        WHERE state IN ('active', 'retry') OR (state = 'created' AND start_after <= now())
        LIMIT 1`.execute(db);
      return rows.length === 0;
    },
    timeoutMs,
  );
}
