import { sql } from 'kysely';
import { retryOnConnectionLoss } from '../../db/connection-errors.ts';
import type { Db, DbOrTx } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { hmacHex } from '../../lib/crypto.ts';
import { RateLimitedError } from '../../lib/errors.ts';

// Fixed-window counters kept in the database, so limits hold across restarts and across every
// process that shares the database. Keys are HMACs: no email address or IP sits in this table.

export interface Limit {
  /** e.g. `resend:email` */
  name: string;
  max: number;
  windowSeconds: number;
}

export function createRateLimitService(deps: { db: Db; clock: Clock; keyHashKey: Buffer }) {
  return {
    /** Counts one hit against every limit; throws RateLimitedError naming the wait if one is over. */
    async hit(checks: Array<{ limit: Limit; subject: string }>, message: string, tx: DbOrTx = deps.db): Promise<void> {
      const now = deps.clock.now();
      // One statement for all limits: one round trip, and inside the caller's transaction when given.
      const rows = checks.map(({ limit, subject }) => ({
        key: `${limit.name}:${hmacHex(deps.keyHashKey, subject.toLowerCase())}`,
        windowSeconds: limit.windowSeconds,
        max: limit.max,
      }));
      const unique = [...new Map(rows.map((r) => [r.key, r])).values()];
      const windowOf = new Map(unique.map((r) => [r.key, r]));
      const cutoff = (seconds: number) => new Date(now.getTime() - seconds * 1000);
      // Windows differ per limit; the CASE compares each row with its own cut-off.
      const cutoffCase = sql`CASE ${sql.join(
        unique.map((r) => sql`WHEN rate_limits.key = ${r.key} THEN ${cutoff(r.windowSeconds)}::timestamptz`),
        sql` `,
      )} END`;
      const count = () => tx
        .insertInto('rate_limits')
        .values(unique.map((r) => ({ key: r.key, window_start: now, hits: 1 })))
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            hits: sql`CASE WHEN rate_limits.window_start <= ${cutoffCase} THEN 1 ELSE rate_limits.hits + 1 END`,
            window_start: sql`CASE WHEN rate_limits.window_start <= ${cutoffCase} THEN ${now}::timestamptz ELSE rate_limits.window_start END`,
          }),
        )
        .returning(['key', 'hits', 'window_start'])
        .execute();
      // On its own (outside a caller's transaction) the count runs again on a new connection when
      // the one it used was dropped; a drop after the server applied it counts one hit twice,
      // which errs on the safe side. Inside a transaction the caller decides.
      const result = tx === deps.db ? await retryOnConnectionLoss('rate limit', count, { attempts: 3 }) : await count();
      let retryAfter = 0;
      for (const row of result) {
        const limit = windowOf.get(row.key)!;
        if (row.hits > limit.max) {
          const resetsAt = new Date(row.window_start).getTime() + limit.windowSeconds * 1000;
          retryAfter = Math.max(retryAfter, Math.ceil((resetsAt - now.getTime()) / 1000));
        }
      }
      if (retryAfter > 0) {
        const minutes = Math.max(1, Math.ceil(retryAfter / 60));
        throw new RateLimitedError(`${message} Please try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, retryAfter);
      }
    },
  };
}

export type RateLimitService = ReturnType<typeof createRateLimitService>;
