import { sql } from 'kysely';
import type pg from 'pg';
import type { DatabaseHandle } from '../../db/database.ts';
import type { Logger } from '../../lib/logger.ts';

// One sync per partner at a time, across every worker process. On PostgreSQL a session advisory
// lock on a connection held for the whole run: the server releases it when the process dies, so a
// crashed worker never blocks the partner. PGlite is one process with one session (advisory locks
// are re-entrant there), so a set in memory is the lock. Both: the set also keeps two handlers of
// this process apart without a round trip.
//
// A lost lock connection (a dropped or terminated database session) releases the lock on the
// server. The holder then opens a new session and takes the lock again; the run goes on. Only if
// another worker took the lock meanwhile (or the database stays away) is the run's signal aborted,
// so the run stops at its next page instead of writing beside the new holder. A terminated session
// tells its client before its server process has let go of its locks: while that process still
// exists, the lock it held is not "taken by another worker", and the holder tries again.

export interface PartnerLock {
  /**
   * Runs `work` holding the partner's lock; `{ acquired: false }` at once when someone else holds
   * it. `signal` aborts when the lock is lost for good: the work must stop at its next step.
   */
  withLock<T>(partnerId: string, work: (signal: AbortSignal) => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }>;
  /** Whether any process holds the partner's lock right now (recovery uses it). */
  isHeld(partnerId: string): Promise<boolean>;
}

export class PartnerLockLost extends Error {
  constructor(reason: string) {
    super(`The partner's sync lock was lost: ${reason}`);
  }
}

const lockKeyText = (partnerId: string) => `sync:${partnerId}`;
const lockKey = (partnerId: string) => sql`hashtextextended(${lockKeyText(partnerId)}, 0)`;
const TRY_LOCK = 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked, pg_backend_pid() AS pid';
const SESSION_LIVES = 'SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1) AS lives';
const UNLOCK = 'SELECT pg_advisory_unlock(hashtextextended($1, 0))';

export interface PartnerLockOptions {
  logger?: Pick<Logger, 'warn' | 'info' | 'error'>;
  /** How long a holder keeps trying to take its lock again after losing its session. */
  reacquireForMs?: number;
  /** How often the lock session is checked when nothing else notices a dead connection. */
  heartbeatMs?: number;
}

export function createPartnerLock(database: DatabaseHandle, options: PartnerLockOptions = {}): PartnerLock {
  const local = new Set<string>();
  const logger = options.logger;
  const reacquireForMs = options.reacquireForMs ?? 60_000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;

  /** Holds the lock on its own session; re-takes it on a new session when that one dies. */
  async function holdLock(pool: pg.Pool, partnerId: string) {
    const key = lockKeyText(partnerId);
    const controller = new AbortController();
    let client: pg.PoolClient | undefined;
    // The server process of the session that holds (or last held) the lock.
    let sessionPid: number | undefined;
    let released = false;
    let reacquiring: Promise<void> | undefined;

    const onLost = (error: unknown) => {
      if (released || reacquiring) return;
      const dead = client;
      client = undefined;
      dead?.release(error instanceof Error ? error : new Error(String(error))); // destroys it
      logger?.warn({ err: error, partnerId }, 'sync lock session lost; taking the lock again on a new session');
      reacquiring = reacquire().finally(() => (reacquiring = undefined));
    };

    /** The lock on a new session; else whether `lostPid`, our own lost session, is what still holds it. */
    async function take(lostPid?: number): Promise<pg.PoolClient | 'held-elsewhere' | 'lost-session-ending'> {
      const candidate = await pool.connect();
      const onError = (error: Error) => (client === candidate ? onLost(error) : undefined);
      candidate.on('error', onError);
      try {
        const { rows } = await candidate.query<{ locked: boolean; pid: number }>(TRY_LOCK, [key]);
        if (rows[0]?.locked) {
          sessionPid = rows[0].pid;
          return candidate;
        }
        const ending = lostPid !== undefined && (await candidate.query<{ lives: boolean }>(SESSION_LIVES, [lostPid])).rows[0]?.lives;
        candidate.off('error', onError);
        candidate.release();
        return ending ? 'lost-session-ending' : 'held-elsewhere';
      } catch (error) {
        candidate.release(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }
    }

    async function reacquire(): Promise<void> {
      const deadline = Date.now() + reacquireForMs;
      const lostPid = sessionPid;
      for (let delay = 250; !released; delay = Math.min(delay * 2, 5000)) {
        try {
          const taken = await take(lostPid);
          if (released) {
            if (typeof taken === 'object') await unlockAndRelease(taken);
            return;
          }
          if (taken === 'lost-session-ending') {
            // Our own lost session is still ending and holds the lock until it has.
            if (Date.now() + delay > deadline) throw new Error('the lost session did not end');
            await new Promise((resolve) => setTimeout(resolve, Math.min(delay, 1000)));
            continue;
          }
          if (taken === 'held-elsewhere') {
            logger?.warn({ partnerId }, 'another worker took the sync lock while our session was away; this run stops');
            controller.abort(new PartnerLockLost('another worker holds it now'));
            return;
          }
          client = taken;
          logger?.info({ partnerId }, 'sync lock taken again; the run continues');
          return;
        } catch (error) {
          if (Date.now() + delay > deadline) {
            logger?.error({ err: error, partnerId }, 'could not take the sync lock again; this run stops and its job is retried');
            controller.abort(new PartnerLockLost('the database did not answer'));
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    }

    async function unlockAndRelease(held: pg.PoolClient) {
      try {
        await held.query(UNLOCK, [key]);
        held.release();
      } catch (error) {
        // Closing the session releases its advisory locks too.
        held.release(error instanceof Error ? error : new Error(String(error)));
      }
    }

    const first = await take();
    if (typeof first !== 'object') return undefined;
    client = first;
    // A half-open connection emits nothing; a cheap query notices it.
    const heartbeat = setInterval(() => {
      const current = client;
      if (!current || reacquiring) return;
      current.query('SELECT 1').catch((error) => (client === current ? onLost(error) : undefined));
    }, heartbeatMs);
    heartbeat.unref();

    return {
      signal: controller.signal,
      async release() {
        released = true;
        clearInterval(heartbeat);
        await reacquiring?.catch(() => {});
        const held = client;
        client = undefined;
        if (held) await unlockAndRelease(held);
      },
    };
  }

  async function withLock<T>(partnerId: string, work: (signal: AbortSignal) => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }> {
    if (local.has(partnerId)) return { acquired: false };
    local.add(partnerId);
    try {
      if (database.kind === 'pglite' || !database.pgPool) return { acquired: true, value: await work(new AbortController().signal) };
      const held = await holdLock(database.pgPool, partnerId);
      if (!held) return { acquired: false };
      try {
        return { acquired: true, value: await work(held.signal) };
      } finally {
        await held.release();
      }
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
