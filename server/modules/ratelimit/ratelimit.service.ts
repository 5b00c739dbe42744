import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
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
    async hit(checks: Array<{ limit: Limit; subject: string }>, message: string): Promise<void> {
      const now = deps.clock.now();
      let retryAfter = 0;
      for (const { limit, subject } of checks) {
        const key = `${limit.name}:${hmacHex(deps.keyHashKey, subject.toLowerCase())}`;
        const windowStartCutoff = new Date(now.getTime() - limit.windowSeconds * 1000);
        const row = await deps.db
          .insertInto('rate_limits')
          .values({ key, window_start: now, hits: 1 })
          .onConflict((oc) =>
            oc.column('key').doUpdateSet({
              hits: sql`CASE WHEN rate_limits.window_start <= ${windowStartCutoff} THEN 1 ELSE rate_limits.hits + 1 END`,
              window_start: sql`CASE WHEN rate_limits.window_start <= ${windowStartCutoff} THEN ${now} ELSE rate_limits.window_start END`,
            }),
          )
          .returning(['hits', 'window_start'])
          .executeTakeFirstOrThrow();
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
