import { sql, type Updateable } from 'kysely';
import type { DbOrTx } from '../../db/database.ts';
import type { SyncRun, SyncRunsTable } from '../../db/schema.ts';
import type { PcCustomer } from '../microsoft/partner-center.client.ts';
import { prefixPattern, type CustomerCursor } from './sync.fns.ts';

export type { SyncRun };

interface CustomerRow {
  customer_id: string;
  tenant_id: string | null;
  domain: string;
  company_name: string;
  relationship: string | null;
  first_seen_at: Date;
  last_seen_at: Date;
  sort_key: string;
  gdap_status: 'active' | 'expiring' | 'expired' | 'none' | 'unknown' | null;
  gdap_end_at: Date | null;
  gdap_auto_extend: boolean | null;
  gdap_global_admin: boolean | null;
  gdap_read_only: boolean | null;
  gdap_group_assigned: boolean | null;
  gdap_relationship: string | null;
  gdap_blocker: 'unknown' | 'no_relationship' | 'expired' | 'read_only' | 'no_global_admin' | 'no_group_assignment' | null;
}

export interface CustomerQuery {
  search: string | undefined;
  sort: 'name' | 'domain';
  order: 'asc' | 'desc';
  cursor: CustomerCursor | undefined;
  limit: number;
  /** Only customers TotalOne cannot administer through GDAP (or not known yet). */
  noAdminAccess?: boolean;
}

export function createSyncRepo() {
  return {
    async runningRun(db: DbOrTx, partnerId: string): Promise<SyncRun | undefined> {
      return db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partnerId).where('status', '=', 'running').executeTakeFirst();
    },

    async runningRuns(db: DbOrTx): Promise<SyncRun[]> {
      return db.selectFrom('sync_runs').selectAll().where('status', '=', 'running').execute();
    },

    async runStartedByJob(db: DbOrTx, jobId: string): Promise<SyncRun | undefined> {
      return db.selectFrom('sync_runs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
    },

    async latestRun(db: DbOrTx, partnerId: string): Promise<SyncRun | undefined> {
      return db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partnerId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    },

    async lastCompletedRun(db: DbOrTx, partnerId: string): Promise<SyncRun | undefined> {
      return db
        .selectFrom('sync_runs')
        .selectAll()
        .where('partner_id', '=', partnerId)
        .where('status', '=', 'completed')
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
    },

    async insertRun(db: DbOrTx, row: { partnerId: string; reason: string; correlationId: string; jobId: string | null; estimatedTotal: number | null; now: Date }): Promise<SyncRun> {
      return db
        .insertInto('sync_runs')
        .values({
          partner_id: row.partnerId,
          reason: row.reason,
          status: 'running',
          correlation_id: row.correlationId,
          job_id: row.jobId,
          active_job_id: row.jobId,
          estimated_total: row.estimatedTotal,
          started_at: row.now,
          updated_at: row.now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** Changes a run only while it is still running; false when another worker finished it. */
    async updateRunning(db: DbOrTx, runId: string, changes: Updateable<SyncRunsTable>): Promise<boolean> {
      const result = await db.updateTable('sync_runs').set(changes).where('id', '=', runId).where('status', '=', 'running').executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** How many pages the run has stored (undefined: no such run). */
    async runPages(db: DbOrTx, runId: string): Promise<number | undefined> {
      return (await db.selectFrom('sync_runs').select('pages').where('id', '=', runId).executeTakeFirst())?.pages;
    },

    /** The page's checkpoint: counts grow by what this page brought, the continuation moves on. */
    async recordPage(db: DbOrTx, runId: string, page: { continuationToken: string | null; customers: number; requests: number; throttled: number; now: Date }): Promise<boolean> {
      const result = await db
        .updateTable('sync_runs')
        .set((eb) => ({
          continuation_token: page.continuationToken,
          pages: eb('pages', '+', 1),
          customers_seen: eb('customers_seen', '+', page.customers),
          requests: eb('requests', '+', page.requests),
          throttled_count: eb('throttled_count', '+', page.throttled),
          updated_at: page.now,
          error: null,
        }))
        .where('id', '=', runId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Inserts or refreshes one page of customers; a customer seen again is no longer removed. */
    async upsertCustomers(db: DbOrTx, partnerId: string, runId: string, customers: PcCustomer[], now: Date): Promise<void> {
      if (customers.length === 0) return;
      // One statement per page; a page never holds the same customer twice, but be safe.
      const unique = [...new Map(customers.map((c) => [c.id, c])).values()];
      await db
        .insertInto('customers')
        .values(
          unique.map((c) => ({
            partner_id: partnerId,
            customer_id: c.id,
            tenant_id: c.companyProfile?.tenantId ?? null,
            domain: c.companyProfile?.domain ?? '',
            company_name: c.companyProfile?.companyName ?? '',
            relationship: c.relationshipToPartner ?? null,
            attributes: JSON.stringify({ ...(c.commerceId ? { commerceId: c.commerceId } : {}), ...(c.allowDelegatedAccess !== undefined ? { allowDelegatedAccess: c.allowDelegatedAccess } : {}) }),
            first_seen_at: now,
            last_seen_at: now,
            last_seen_run_id: runId,
            removed_at: null,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['partner_id', 'customer_id']).doUpdateSet((eb) => ({
            tenant_id: eb.ref('excluded.tenant_id'),
            domain: eb.ref('excluded.domain'),
            company_name: eb.ref('excluded.company_name'),
            relationship: eb.ref('excluded.relationship'),
            attributes: eb.ref('excluded.attributes'),
            last_seen_at: eb.ref('excluded.last_seen_at'),
            last_seen_run_id: eb.ref('excluded.last_seen_run_id'),
            removed_at: null,
          })),
        )
        .execute();
    },

    /** After a full read: customers this run did not see have left the partner. */
    async markUnseenRemoved(db: DbOrTx, partnerId: string, runId: string, now: Date): Promise<number> {
      const result = await db
        .updateTable('customers')
        .set({ removed_at: now })
        .where('partner_id', '=', partnerId)
        .where('last_seen_run_id', '!=', runId)
        .where('removed_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async countSeenBy(db: DbOrTx, partnerId: string, runId: string): Promise<number> {
      const row = await db
        .selectFrom('customers')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('partner_id', '=', partnerId)
        .where('last_seen_run_id', '=', runId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * Fresh planner statistics after a big change: PGlite has no autovacuum, and on PostgreSQL it may
     * come minutes later; with stale ones the tenant view sorts 100,000 rows instead of using its index.
     */
    async analyzeCustomers(db: DbOrTx): Promise<void> {
      await sql`ANALYZE customers`.execute(db);
    },

    async counts(db: DbOrTx, partnerId: string): Promise<{ present: number; removed: number }> {
      const row = await db
        .selectFrom('customers')
        .select([sql<number>`count(*) FILTER (WHERE removed_at IS NULL)`.as('present'), sql<number>`count(*) FILTER (WHERE removed_at IS NOT NULL)`.as('removed')])
        .where('partner_id', '=', partnerId)
        .executeTakeFirstOrThrow();
      return { present: Number(row.present), removed: Number(row.removed) };
    },

    /** GDAP over the present customers: how many per blocker, how many expire soon, and the last read. */
    async gdapCounts(db: DbOrTx, partnerId: string) {
      const [groups, read] = await Promise.all([
        sql<{ blocker: string | null; checked: boolean; n: number; expiring: number }>`
          SELECT gdap_blocker AS blocker, gdap_status IS NOT NULL AS checked, count(*) AS n, count(*) FILTER (WHERE gdap_status = 'expiring') AS expiring
          FROM customers WHERE partner_id = ${partnerId} AND removed_at IS NULL
          GROUP BY 1, 2`.execute(db),
        db.selectFrom('gdap_reads').selectAll().where('partner_id', '=', partnerId).executeTakeFirst(),
      ]);
      return { groups: groups.rows.map((r) => ({ blocker: r.blocker, checked: r.checked, count: Number(r.n), expiring: Number(r.expiring) })), read };
    },

    /**
     * One page of the tenant view: keyset paging over (sort key, customer id) in the "C" collation,
     * which is exactly what the partial indexes hold, so a page costs the same at any depth.
     */
    async customersPage(db: DbOrTx, partnerId: string, query: CustomerQuery) {
      const key = query.sort === 'name' ? sql<string>`lower(c.company_name) COLLATE "C"` : sql<string>`lower(c.domain) COLLATE "C"`;
      const keyset = query.cursor
        ? query.order === 'asc'
          ? sql`AND (${key}, c.customer_id) > (${query.cursor.key} COLLATE "C", ${query.cursor.id})`
          : sql`AND (${key}, c.customer_id) < (${query.cursor.key} COLLATE "C", ${query.cursor.id})`
        : sql``;
      const direction = query.order === 'asc' ? sql`ASC` : sql`DESC`;
      const columns = sql`c.customer_id, c.tenant_id, c.domain, c.company_name, c.relationship, c.first_seen_at, c.last_seen_at, ${key} AS sort_key,
        c.gdap_status, c.gdap_end_at, c.gdap_auto_extend, c.gdap_global_admin, c.gdap_read_only, c.gdap_group_assigned, c.gdap_relationship, c.gdap_blocker`;
      const access = query.noAdminAccess ? sql`AND c.gdap_blocker IS NOT NULL` : sql``;
      if (!query.search) {
        // Walks the sort key's partial index from the cursor: the same cost at any depth.
        const { rows } = await sql<CustomerRow>`
          SELECT ${columns} FROM customers c
          WHERE c.partner_id = ${partnerId} AND c.removed_at IS NULL ${access} ${keyset}
          ORDER BY ${key} ${direction}, c.customer_id ${direction}
          LIMIT ${query.limit + 1}`.execute(db);
        return rows;
      }
      // A prefix search is two index range scans, each cut at one page: customers whose name matches,
      // and those only whose domain matches. The branch on the sort column reads just one page from
      // its index; the other sorts only its own matches.
      const pattern = prefixPattern(query.search);
      const name = sql`lower(c.company_name) COLLATE "C"`;
      const domain = sql`lower(c.domain) COLLATE "C"`;
      const limit = query.limit + 1;
      const { rows } = await sql<CustomerRow>`
        SELECT * FROM (
          (SELECT ${columns} FROM customers c
           WHERE c.partner_id = ${partnerId} AND c.removed_at IS NULL ${access} AND ${name} LIKE ${pattern} ${keyset}
           ORDER BY ${key} ${direction}, c.customer_id ${direction} LIMIT ${limit})
          UNION ALL
          (SELECT ${columns} FROM customers c
           WHERE c.partner_id = ${partnerId} AND c.removed_at IS NULL ${access} AND ${domain} LIKE ${pattern} AND NOT (${name} LIKE ${pattern}) ${keyset}
           ORDER BY ${key} ${direction}, c.customer_id ${direction} LIMIT ${limit})
        ) hits
        ORDER BY sort_key ${direction}, customer_id ${direction}
        LIMIT ${limit}`.execute(db);
      return rows;
    },
  };
}

export type SyncRepo = ReturnType<typeof createSyncRepo>;
