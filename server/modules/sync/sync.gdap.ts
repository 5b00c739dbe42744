import { sql } from 'kysely';
import type { Db, DbOrTx } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { GraphClient, GraphDelegatedAdminRelationship } from '../microsoft/graph.client.ts';
import type { MicrosoftCredentials } from '../microsoft/microsoft.credentials.ts';
import { classifyFailure, describeFailure, type Failure } from '../microsoft/microsoft.failures.ts';
import { assessAll, type CustomerGdap, type GdapRelationshipFact } from './sync.gdap.fns.ts';
import type { SyncPartners } from './sync.partners.ts';

// After a customer import: which customers TotalOne can administer through GDAP. Reads the partner's
// delegated admin relationships (Graph, every page) and the access assignments of the active ones
// with the Entra app's token (credential owner), the service account's groups, and stores per
// customer what sync.gdap.fns.ts concludes. Never fails the import: without
// DelegatedAdminRelationship.Read.All every customer is marked `unknown` and the fix is kept; other
// failures keep the previous result and are recorded with the classifier's words.

export const GDAP_PERMISSION = 'DelegatedAdminRelationship.Read.All';
/** Access assignments read in parallel (one request per active relationship). */
const ASSIGNMENT_CONCURRENCY = 6;
const WRITE_BATCH = 1000;

export type GdapReadOutcome =
  | { outcome: 'read'; relationships: number; customers: number }
  | { outcome: 'permission_missing'; failure: Failure }
  | { outcome: 'failed'; failure: Failure }
  | { outcome: 'skipped' };

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function roleIds(details: GraphDelegatedAdminRelationship['accessDetails']): string[] {
  return (details?.unifiedRoles ?? []).map((r) => r.roleDefinitionId.toLowerCase());
}

export function createGdapReader(deps: {
  db: Db;
  partners: Pick<SyncPartners, 'graphApp'>;
  credentials: Pick<MicrosoftCredentials, 'graphAppToken'>;
  graph: Pick<GraphClient, 'delegatedAdminRelationships' | 'delegatedAdminAccessAssignments' | 'user' | 'transitiveMemberOf'>;
  clock: Clock;
  logger: Logger;
}) {
  const { db, graph, clock } = deps;

  async function record(tx: DbOrTx, partnerId: string, row: { outcome: 'read' | 'permission_missing' | 'failed'; relationships?: number; failure?: Failure }, now: Date) {
    const values = {
      outcome: row.outcome,
      relationships: row.relationships ?? 0,
      problem: row.failure?.problem ?? null,
      fix: row.failure ? describeFailure(row.failure) : null,
      code: row.failure?.code ?? null,
      read_at: now,
    };
    await tx.insertInto('gdap_reads').values({ partner_id: partnerId, ...values }).onConflict((oc) => oc.column('partner_id').doUpdateSet(values)).execute();
  }

  async function markAll(tx: DbOrTx, partnerId: string, status: 'none' | 'unknown', now: Date) {
    await tx
      .updateTable('customers')
      .set({
        gdap_status: status, gdap_blocker: status === 'none' ? 'no_relationship' : 'unknown', gdap_end_at: null, gdap_auto_extend: null, gdap_roles: null,
        gdap_global_admin: null, gdap_read_only: null, gdap_group_assigned: null, gdap_relationship: null, gdap_checked_at: now,
      })
      .where('partner_id', '=', partnerId)
      .execute();
  }

  /** Partner Center's customer id is the customer's tenant id, which the relationship names. */
  async function write(tx: DbOrTx, partnerId: string, assessed: Map<string, CustomerGdap>, now: Date) {
    await markAll(tx, partnerId, 'none', now);
    const rows = [...assessed];
    for (let i = 0; i < rows.length; i += WRITE_BATCH) {
      const values = rows.slice(i, i + WRITE_BATCH).map(([tenantId, g]) => sql`(${tenantId}::text, ${g.status}::text, ${g.endAt?.toISOString() ?? null}::timestamptz, ${g.autoExtend}::boolean, ${JSON.stringify(g.roleIds)}::jsonb, ${g.globalAdmin}::boolean, ${g.readOnly}::boolean, ${g.groupAssigned}::boolean, ${g.relationshipName}::text, ${g.blocker}::text)`);
      await sql`
        UPDATE customers c SET
          gdap_status = v.status, gdap_end_at = v.end_at, gdap_auto_extend = v.auto_extend, gdap_roles = v.roles, gdap_global_admin = v.global_admin,
          gdap_read_only = v.read_only, gdap_group_assigned = v.group_assigned, gdap_relationship = v.relationship, gdap_blocker = v.blocker
        FROM (VALUES ${sql.join(values)}) AS v(tenant_id, status, end_at, auto_extend, roles, global_admin, read_only, group_assigned, relationship, blocker)
        WHERE c.partner_id = ${partnerId} AND c.customer_id = v.tenant_id`.execute(tx);
    }
  }

  async function serviceAccountGroups(token: string, app: { serviceAccountObjectId: string | null; upn: string | null }): Promise<Set<string>> {
    let objectId = app.serviceAccountObjectId;
    if (!objectId && app.upn) objectId = (await graph.user(token, app.upn))?.id ?? null;
    if (!objectId) return new Set();
    const memberships = await graph.transitiveMemberOf(token, objectId);
    return new Set(memberships.filter((m) => m['@odata.type'] === '#microsoft.graph.group').map((m) => m.id.toLowerCase()));
  }

  return {
    /** Reads and stores; answers what happened (never throws for Microsoft's refusals). */
    async refresh(partnerId: string, log: Logger = deps.logger): Promise<GdapReadOutcome> {
      const app = await deps.partners.graphApp(db, partnerId);
      if (!app) return { outcome: 'skipped' };
      const startedAt = performance.now();
      let token: string;
      let relationships: GraphDelegatedAdminRelationship[];
      try {
        token = (await deps.credentials.graphAppToken(partnerId, { tenantId: app.tenantId, entraAppId: app.entraAppId })).accessToken;
        relationships = await graph.delegatedAdminRelationships(token);
      } catch (error) {
        const failure = classifyFailure(error, { graphPermission: GDAP_PERMISSION });
        const now = clock.now();
        if (failure.code === 'GRAPH_Authorization_RequestDenied') {
          await db.transaction().execute(async (tx) => {
            await markAll(tx, partnerId, 'unknown', now);
            await record(tx, partnerId, { outcome: 'permission_missing', failure }, now);
          });
          log.warn({ code: failure.code }, `GDAP relationships not readable: the Entra app lacks ${GDAP_PERMISSION}; customers marked unknown`);
          return { outcome: 'permission_missing', failure };
        }
        await record(db, partnerId, { outcome: 'failed', failure }, now);
        log.warn({ err: error, code: failure.code, kind: failure.kind }, 'GDAP relationships could not be read; the previous result stays');
        return { outcome: 'failed', failure };
      }
      try {
        const groups = await serviceAccountGroups(token, app);
        const facts: GdapRelationshipFact[] = await mapLimit(relationships, ASSIGNMENT_CONCURRENCY, async (r) => ({
          id: r.id,
          displayName: r.displayName ?? '',
          status: r.status,
          customerTenantId: r.customer?.tenantId ?? '',
          roleIds: roleIds(r.accessDetails),
          endDateTime: r.endDateTime ?? null,
          autoExtendDuration: r.autoExtendDuration ?? null,
          assignments: r.status === 'active'
            ? (await graph.delegatedAdminAccessAssignments(token, r.id)).map((a) => ({
              status: a.status,
              accessContainerId: (a.accessContainer?.accessContainerId ?? '').toLowerCase(),
              accessContainerType: a.accessContainer?.accessContainerType ?? '',
              roleIds: roleIds(a.accessDetails),
            }))
            : [],
        }));
        const now = clock.now();
        const assessed = assessAll(facts.filter((f) => f.customerTenantId), groups, now);
        await db.transaction().execute(async (tx) => {
          await write(tx, partnerId, assessed, now);
          await record(tx, partnerId, { outcome: 'read', relationships: relationships.length }, now);
        });
        log.info({ relationships: relationships.length, customers: assessed.size, ms: Math.round(performance.now() - startedAt) }, 'GDAP relationships read');
        return { outcome: 'read', relationships: relationships.length, customers: assessed.size };
      } catch (error) {
        const failure = classifyFailure(error);
        await record(db, partnerId, { outcome: 'failed', failure }, clock.now());
        log.warn({ err: error, code: failure.code, kind: failure.kind }, 'GDAP access assignments could not be read; the previous result stays');
        return { outcome: 'failed', failure };
      }
    },
  };
}

export type GdapReader = ReturnType<typeof createGdapReader>;
