import { sql, type Updateable } from 'kysely';
import type { DbOrTx } from '../../db/database.ts';
import type { SyncRun, SyncRunsTable } from '../../db/schema.ts';
import type { PcCustomer } from '../microsoft/partner-center.client.ts';
import { prefixPattern, type CustomerCursor } from './sync.fns.ts';

export type { SyncRun };

export interface CustomerQuery {
  search: string | undefined;
  sort: 'name' | 'domain';
  order: 'asc' | 'desc';
  cursor: CustomerCursor | undefined;
  limit: number;
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

    async counts(db: DbOrTx, partnerId: string): Promise<{ present: number; removed: number }> {
      const row = await db
        .selectFrom('customers')
        .select([sql<number>`count(*) FILTER (WHERE removed_at IS NULL)`.as('present'), sql<number>`count(*) FILTER (WHERE removed_at IS NOT NULL)`.as('removed')])
        .where('partner_id', '=', partnerId)
        .executeTakeFirstOrThrow();
      return { present: Number(row.present), removed: Number(row.removed) };
    },

    /**
     * One page of the tenant view: keyset paging over (sort key, customer id) in the "C" collation,
     * which is exactly what the partial indexes hold, so a page costs the same at any depth.
     */
    async customersPage(db: DbOrTx, partnerId: string, query: CustomerQuery) {
      const key = query.sort === 'name' ? sql<string>`lower(company_name) COLLATE "C"` : sql<string>`lower(domain) COLLATE "C"`;
      let q = db
        .selectFrom('customers')
        .select(['customer_id', 'tenant_id', 'domain', 'company_name', 'relationship', 'first_seen_at', 'last_seen_at', key.as('sort_key')])
        .where('partner_id', '=', partnerId)
        .where('removed_at', 'is', null);
      if (query.search) {
        const pattern = prefixPattern(query.search);
        q = q.where((eb) => eb.or([eb(sql`lower(company_name) COLLATE "C"`, 'like', pattern), eb(sql`lower(domain) COLLATE "C"`, 'like', pattern)]));
      }
      if (query.cursor) {
        const { key: after, id } = query.cursor;
        q = query.order === 'asc' ? q.where(sql<boolean>`(${key}, customer_id) > (${after} COLLATE "C", ${id})`) : q.where(sql<boolean>`(${key}, customer_id) < (${after} COLLATE "C", ${id})`);
      }
      return q
        .orderBy(key, query.order)
        .orderBy('customer_id', query.order)
        .limit(query.limit + 1)
        .execute();
    },
  };
}

export type SyncRepo = ReturnType<typeof createSyncRepo>;
