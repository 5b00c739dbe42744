import { sql } from 'kysely';
import type { DbOrTx } from '../../db/database.ts';
import type { PartnerState } from '../../db/schema.ts';
import type { PartnerListQuery } from '../../../contracts/operators.ts';
import { likePattern } from './operators.fns.ts';

// The console's read model: read-only queries across the tables of signup, connect, mail, sync and
// audit, for lists and the partner page. Like sync.partners.ts, this file is the one place the
// operator module reads those tables directly; every change goes through the owning module's service,
// except the two writes at the bottom (see their comments). Columns are picked one by one: hashes,
// ciphertext, sealed values and OAuth state are never selected.

export function createConsoleReadModel() {
  return {
    /** Partners who signed up in [from, to), grouped by state and by how far they got. */
    async funnelRows(db: DbOrTx, from: Date, to: Date) {
      const rows = await sql<{ state: PartnerState; verified: boolean; link_issued: boolean; link_claimed: boolean; connected: boolean; n: number }>`
        SELECT p.state,
               p.email_verified_at IS NOT NULL AS verified,
               EXISTS (SELECT 1 FROM one_time_tokens t WHERE t.partner_id = p.id AND t.purpose = 'signup_link') AS link_issued,
               EXISTS (SELECT 1 FROM one_time_tokens t WHERE t.partner_id = p.id AND t.purpose = 'signup_link' AND t.claimed_at IS NOT NULL) AS link_claimed,
               EXISTS (SELECT 1 FROM microsoft_connections c WHERE c.partner_id = p.id AND c.committed_at IS NOT NULL) AS connected,
               count(*)::int AS n
        FROM partners p
        WHERE p.created_at >= ${from} AND p.created_at < ${to}
        GROUP BY 1, 2, 3, 4, 5`.execute(db);
      return rows.rows.map((r) => ({ ...r, n: Number(r.n) }));
    },

    async countOpenSupportRequests(db: DbOrTx): Promise<number> {
      const row = await db.selectFrom('support_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async listPartners(db: DbOrTx, query: PartnerListQuery) {
      let base = db.selectFrom('partners').innerJoin('contacts as primary', (join) => join.onRef('primary.partner_id', '=', 'partners.id').on('primary.role', '=', 'primary'));
      if (query.state && query.state.length > 0) base = base.where('partners.state', 'in', query.state);
      if (query.q) {
        const pattern = likePattern(query.q);
        base = base.where((eb) =>
          eb.or([
            eb('partners.legal_name', 'ilike', pattern),
            eb('partners.entra_domain', 'ilike', pattern),
            eb('partners.mpn_id', 'ilike', pattern),
            eb('partners.reference', 'ilike', pattern),
            eb('partners.website', 'ilike', pattern),
            eb.exists(eb.selectFrom('contacts').select('contacts.id').whereRef('contacts.partner_id', '=', 'partners.id').where('contacts.email', 'ilike', pattern)),
          ]),
        );
      }
      const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const sortColumn = ({ created_at: 'partners.created_at', updated_at: 'partners.updated_at', company: 'partners.legal_name', state: 'partners.state' } as const)[query.sort];
      const items = await base
        .select([
          'partners.id',
          'partners.reference',
          'partners.legal_name',
          'partners.state',
          'partners.country',
          'partners.entra_domain',
          'partners.mpn_id',
          'partners.created_at',
          'partners.updated_at',
          'primary.first_name',
          'primary.last_name',
          'primary.email',
        ])
        .orderBy(sortColumn, query.order)
        .orderBy('partners.id', query.order)
        .limit(query.limit)
        .offset(query.offset)
        .execute();
      return { items, total: Number(total.n) };
    },

    async partner(db: DbOrTx, id: string) {
      return db.selectFrom('partners').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async contacts(db: DbOrTx, partnerId: string) {
      return db.selectFrom('contacts').select(['role', 'first_name', 'last_name', 'job_title', 'email', 'phone']).where('partner_id', '=', partnerId).orderBy('role').execute();
    },

    async links(db: DbOrTx, partnerId: string) {
      return db
        .selectFrom('one_time_tokens')
        .select(['id', 'purpose', 'issued_by', 'created_at', 'expires_at', 'claimed_at', 'spent_at', 'revoked_at', 'revoked_reason'])
        .where('partner_id', '=', partnerId)
        .orderBy('created_at', 'desc')
        .limit(100)
        .execute();
    },

    async emails(db: DbOrTx, partnerId: string) {
      return db
        .selectFrom('outbox')
        .select(['id', 'template', 'to_address', 'status', 'attempts', 'created_at', 'sent_at', 'last_error'])
        .where('partner_id', '=', partnerId)
        .orderBy('created_at', 'desc')
        .limit(100)
        .execute();
    },

    async termsAccepted(db: DbOrTx, partnerId: string) {
      return db.selectFrom('terms_acceptances').select(['document', 'version', 'accepted_at']).where('partner_id', '=', partnerId).orderBy('accepted_at', 'desc').limit(20).execute();
    },

    async connection(db: DbOrTx, partnerId: string) {
      return db
        .selectFrom('microsoft_connections')
        .select(['tenant_id', 'entra_app_id', 'partner_center_web_app_id', 'partner_center_native_app_id', 'service_account_upn', 'mfa_performed', 'signed_in_at', 'committed_at', 'sign_in_error'])
        .where('partner_id', '=', partnerId)
        .executeTakeFirst();
    },

    async preflightRuns(db: DbOrTx, partnerId: string) {
      return db
        .selectFrom('preflight_runs')
        .select(['id', 'triggered_by', 'started_at', 'finished_at', 'checks', 'all_required_passed'])
        .where('partner_id', '=', partnerId)
        .orderBy('started_at', 'desc')
        .limit(10)
        .execute();
    },

    async syncRuns(db: DbOrTx, partnerId: string) {
      return db
        .selectFrom('sync_runs')
        .select(['id', 'reason', 'status', 'started_at', 'finished_at', 'pages', 'customers_seen', 'total_count', 'error'])
        .where('partner_id', '=', partnerId)
        .orderBy('started_at', 'desc')
        .limit(20)
        .execute();
    },

    async supportRequestsOfPartner(db: DbOrTx, partnerId: string) {
      return db.selectFrom('support_requests').select(['id', 'reference', 'status', 'created_at']).where('partner_id', '=', partnerId).orderBy('created_at', 'desc').limit(50).execute();
    },

    /** Audit events, newest first, keyset-paged by id; the console's log search and timelines. */
    async auditEvents(
      db: DbOrTx,
      filter: { action?: string | undefined; partnerId?: string | undefined; actorId?: string | undefined; actorType?: string | undefined; from?: Date | undefined; to?: Date | undefined; before?: number | undefined; limit: number },
    ) {
      let query = db
        .selectFrom('audit_events')
        .leftJoin('partners', 'partners.id', 'audit_events.partner_id')
        .select(['audit_events.id', 'audit_events.occurred_at', 'audit_events.actor_type', 'audit_events.actor_id', 'audit_events.partner_id', 'audit_events.action', 'audit_events.details', 'partners.reference', 'partners.legal_name']);
      if (filter.action) {
        const prefix = filter.action.endsWith('*') ? filter.action.slice(0, -1) : filter.action.endsWith('.') ? filter.action : undefined;
        query = prefix !== undefined ? query.where('audit_events.action', 'like', `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) : query.where('audit_events.action', '=', filter.action);
      }
      if (filter.partnerId) query = query.where('audit_events.partner_id', '=', filter.partnerId);
      if (filter.actorId) query = query.where('audit_events.actor_id', '=', filter.actorId);
      if (filter.actorType) query = query.where('audit_events.actor_type', '=', filter.actorType as 'operator');
      if (filter.from) query = query.where('audit_events.occurred_at', '>=', filter.from);
      if (filter.to) query = query.where('audit_events.occurred_at', '<', filter.to);
      if (filter.before) query = query.where('audit_events.id', '<', filter.before);
      return query.orderBy('audit_events.id', 'desc').limit(filter.limit).execute();
    },

    async operatorEmails(db: DbOrTx, ids: string[]): Promise<Map<string, string>> {
      const uuids = ids.filter((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id));
      if (uuids.length === 0) return new Map();
      const rows = await db.selectFrom('operators').select(['id', 'email']).where('id', 'in', [...new Set(uuids)]).execute();
      return new Map(rows.map((r) => [r.id, r.email]));
    },

    async listSupportRequests(db: DbOrTx, filter: { status?: 'open' | 'handled' | undefined; q?: string | undefined; partnerId?: string | undefined; limit: number; offset: number }) {
      let base = db.selectFrom('support_requests').leftJoin('partners', 'partners.id', 'support_requests.partner_id');
      if (filter.status) base = base.where('support_requests.status', '=', filter.status);
      if (filter.partnerId) base = base.where('support_requests.partner_id', '=', filter.partnerId);
      if (filter.q) {
        const pattern = likePattern(filter.q);
        base = base.where((eb) =>
          eb.or([
            eb('support_requests.email', 'ilike', pattern),
            eb('support_requests.name', 'ilike', pattern),
            eb('support_requests.reference', 'ilike', pattern),
            eb('support_requests.message', 'ilike', pattern),
            eb('partners.legal_name', 'ilike', pattern),
          ]),
        );
      }
      const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const items = await base
        .select(supportColumns)
        .orderBy('support_requests.created_at', 'desc')
        .orderBy('support_requests.id', 'desc')
        .limit(filter.limit)
        .offset(filter.offset)
        .execute();
      return { items, total: Number(total.n) };
    },

    async supportRequest(db: DbOrTx, id: string) {
      return db.selectFrom('support_requests').leftJoin('partners', 'partners.id', 'support_requests.partner_id').select(supportColumns).where('support_requests.id', '=', id).executeTakeFirst();
    },
  };
}

const supportColumns = [
  'support_requests.id',
  'support_requests.reference',
  'support_requests.name',
  'support_requests.email',
  'support_requests.message',
  'support_requests.signup_reference',
  'support_requests.status',
  'support_requests.created_at',
  'support_requests.partner_id',
  'partners.reference as partner_reference',
  'partners.legal_name as partner_name',
  'partners.state as partner_state',
] as const;

export type ConsoleReadModel = ReturnType<typeof createConsoleReadModel>;
