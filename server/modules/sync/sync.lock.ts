import { sql } from 'kysely';
import type { DatabaseHandle } from '../../db/database.ts';

// One sync per partner at a time, across every worker process. On PostgreSQL a session advisory
// lock on a connection held for the whole run: the server releases it when the process dies, so a
// crashed worker never blocks the partner. PGlite is one process with one session (advisory locks
// are re-entrant there), so a set in memory is the lock. Both: the set also keeps two handlers of
// this process apart without a round trip.

export interface PartnerLock {
  /** Runs `work` holding the partner's lock; `{ acquired: false }` at once when someone else holds it. */
  withLock<T>(partnerId: string, work: () => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }>;
  /** Whether any process holds the partner's lock right now (recovery uses it). */
  isHeld(partnerId: string): Promise<boolean>;
}

const lockKey = (partnerId: string) => sql`hashtextextended(${`sync:${partnerId}`}, 0)`;

export function createPartnerLock(database: DatabaseHandle): PartnerLock {
  const local = new Set<string>();

  async function withLock<T>(partnerId: string, work: () => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }> {
    if (local.has(partnerId)) return { acquired: false };
    local.add(partnerId);
    try {
      if (database.kind === 'pglite') return { acquired: true, value: await work() };
      return await database.db.connection().execute(async (connection) => {
        const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${lockKey(partnerId)}) AS locked`.execute(connection);
        if (!rows[0]?.locked) return { acquired: false as const };
        try {
          return { acquired: true as const, value: await work() };
        } finally {
          await sql`SELECT pg_advisory_unlock(${lockKey(partnerId)})`.execute(connection);
        }
      });
    } finally {
      local.delete(partnerId);
    }
  }

  async function isHeld(partnerId: string): Promise<boolean> {
    if (local.has(partnerId)) return true;
    if (database.kind === 'pglite') return false;
    return database.db.connection().execute(async (connection) => {
      const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${lockKey(partnerId)}) AS locked`.execute(connection);
      if (!rows[0]?.locked) return true;
      await sql`SELECT pg_advisory_unlock(${lockKey(partnerId)})`.execute(connection);
      return false;
    });
  }

  return { withLock, isHeld };
}
