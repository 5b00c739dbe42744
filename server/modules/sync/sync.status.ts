import type { Db } from '../../db/database.ts';
import type { PartnerState } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import type { CustomerQuery, GdapSummary, StatusView } from '../../../contracts/sync.ts';
import { presentFinding, type Attention } from '../partners/partners.attention.ts';
import { credentialUpdateStates } from '../partners/partners.rotation.ts';
import { accessEnded, isClosed, reconnectableStates } from '../signup/signup.fns.ts';
import type { SignupService } from '../signup/signup.service.ts';
import { BLOCKER_TEXT, type GdapBlocker } from './sync.gdap.fns.ts';
import { decodeCursor, encodeCursor, progressFigures, verifyStatusKey } from './sync.fns.ts';
import type { SyncPartners } from './sync.partners.ts';
import type { SyncRepo, SyncRun } from './sync.repo.ts';

// What the partner sees: the status page (steps, live import progress, errors in plain words) and
// the tenant view (customers with search, sort and keyset paging; count and last sync).
// Access: the browser session that connected, or a status link from an email (see sync.fns.ts).

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export function createSyncStatus(deps: { db: Db; repo: SyncRepo; partners: SyncPartners; signup: Pick<SignupService, 'currentSession'>; attention: Pick<Attention, 'openFinding'>; lastCheck: (partnerId: string) => Promise<StatusView['lastCheck']>; clock: Clock; statusKeyKey: Buffer }) {
  const { db, repo, partners, clock } = deps;

  /** The partner this request may see: a valid status key first, else the signup session. */
  async function partnerFor(credentials: { session: string | undefined; statusKey: string | undefined }): Promise<string> {
    if (credentials.statusKey) {
      const verified = verifyStatusKey(deps.statusKeyKey, credentials.statusKey, clock.now());
      if (verified) {
        // A status link stays signed until it expires; a partner TotalOne closed reads nothing.
        const partner = await partners.partner(db, verified.partnerId);
        if (partner && isClosed(partner.state)) throw accessEnded();
        return verified.partnerId;
      }
    }
    if (!credentials.session && credentials.statusKey !== undefined) {
      throw new NotFoundError('STATUS_LINK_EXPIRED', 'This status link has expired or is not valid. Open the link in the most recent email from us, or contact support for a new one.');
    }
    return (await deps.signup.currentSession(credentials.session)).partnerId;
  }

  /** Checks a status link's key before it becomes a cookie; returns when it stops working. */
  function checkStatusKey(statusKey: string): Date {
    const verified = verifyStatusKey(deps.statusKeyKey, statusKey, clock.now());
    if (!verified) throw new NotFoundError('STATUS_LINK_EXPIRED', 'This status link has expired or is not valid. Open the link in the most recent email from us, or contact support for a new one.');
    return verified.expiresAt;
  }

  function presentRun(run: SyncRun) {
    const figures = progressFigures({
      customersSeen: run.customers_seen,
      estimatedTotal: run.status === 'completed' ? run.total_count : run.estimated_total,
      startedAt: new Date(run.started_at),
      updatedAt: new Date(run.finished_at ?? run.updated_at),
      status: run.status,
    });
    const error = run.error as { code: string; message: string; retrying: boolean } | null;
    return {
      status: run.status,
      reason: run.reason,
      customersImported: run.customers_seen,
      total: run.status === 'completed' ? run.total_count : run.estimated_total,
      percent: figures.percent,
      pages: run.pages,
      ratePerSecond: figures.ratePerSecond,
      secondsLeft: figures.secondsLeft,
      throttled: run.throttled_count,
      startedAt: iso(run.started_at)!,
      updatedAt: iso(run.updated_at)!,
      finishedAt: iso(run.finished_at),
      error: error ? { code: error.code, message: error.message, retrying: error.retrying } : null,
    };
  }

  function headline(state: PartnerState, sync: ReturnType<typeof presentRun> | null, count: number): string {
    if (state === 'needs_attention') return 'The import of your customers is paused: Microsoft refused something only you can fix. The fix is described below; nothing is lost.';
    if (state === 'sync_failed') return 'The import of your customers stopped: Microsoft no longer accepts the stored sign-in. Reconnect as described below.';
    if (state === 'active') return `Your tenant is ready: ${count.toLocaleString('en-US')} customers imported.`;
    if (sync?.status === 'running') {
      const of = sync.total ? ` of about ${sync.total.toLocaleString('en-US')}` : '';
      const retry = sync.error?.retrying ? ` ${sync.error.message} We keep trying automatically.` : '';
      return `Importing your customers from Partner Center: ${sync.customersImported.toLocaleString('en-US')}${of} so far.${retry}`;
    }
    if (state === 'connected' || state === 'syncing') return 'Your Microsoft tenant is connected. The import of your customers starts in a moment.';
    if (state === 'suspended') return 'Your TotalOne account is suspended. Please contact support.';
    return 'Your signup is not complete yet. Continue with the link from your email.';
  }

  function steps(state: PartnerState): StatusView['steps'] {
    const connected = ['connected', 'syncing', 'active', 'sync_failed', 'needs_attention'].includes(state);
    return [
      { id: 'signup', label: 'Company signed up and email confirmed', status: state === 'registered' ? 'current' : 'done' },
      { id: 'connect', label: 'Microsoft tenant connected', status: connected ? 'done' : state === 'registered' ? 'pending' : 'current' },
      {
        id: 'import',
        label: 'Customers imported from Partner Center',
        status: state === 'active' ? 'done' : state === 'sync_failed' || state === 'needs_attention' ? 'failed' : connected ? 'current' : 'pending',
      },
      { id: 'ready', label: 'Tenant ready', status: state === 'active' ? 'done' : 'pending' },
    ];
  }

  /** Customers TotalOne cannot administer yet and why; null before anything was imported. */
  async function gdapSummary(partnerId: string): Promise<GdapSummary | null> {
    const { groups, read } = await repo.gdapCounts(db, partnerId);
    if (groups.length === 0 && !read) return null;
    const reasons = new Map<GdapBlocker, number>();
    let manageable = 0;
    let cannotManage = 0;
    let expiringSoon = 0;
    for (const g of groups) {
      expiringSoon += g.expiring;
      if (!g.checked) continue; // imported after the last GDAP read: counted once it is read
      if (g.blocker === null) manageable += g.count;
      else {
        cannotManage += g.count;
        reasons.set(g.blocker as GdapBlocker, (reasons.get(g.blocker as GdapBlocker) ?? 0) + g.count);
      }
    }
    const failed = read && read.outcome !== 'read';
    return {
      readAt: iso(read?.read_at),
      outcome: read?.outcome ?? null,
      manageable,
      cannotManage,
      expiringSoon,
      reasons: [...reasons].sort((a, b) => b[1] - a[1]).map(([blocker, count]) => ({ blocker, count, ...BLOCKER_TEXT[blocker] })),
      problem: failed ? read.problem : null,
      fix: failed ? read.fix : null,
    };
  }

  async function status(partnerId: string): Promise<StatusView> {
    const partner = await partners.partner(db, partnerId);
    if (!partner) throw new NotFoundError('NO_SIGNUP_SESSION', 'This signup no longer exists. Please contact support.');
    const [latest, lastCompleted, counts, finding, gdap, lastCheck] = await Promise.all([
      repo.latestRun(db, partnerId),
      repo.lastCompletedRun(db, partnerId),
      repo.counts(db, partnerId),
      deps.attention.openFinding(partnerId),
      gdapSummary(partnerId),
      deps.lastCheck(partnerId),
    ]);
    const sync = latest ? presentRun(latest) : null;
    return {
      companyName: partner.companyName,
      reference: partner.reference,
      state: partner.state,
      headline: headline(partner.state, sync, counts.present),
      steps: steps(partner.state),
      sync,
      customerCount: counts.present,
      lastSyncAt: iso(lastCompleted?.finished_at),
      attention: finding ? presentFinding(finding) : null,
      canCheckAgain: partner.state === 'needs_attention' && finding !== undefined,
      canRequestReconnect: reconnectableStates.includes(partner.state),
      canUpdateCredentials: credentialUpdateStates.includes(partner.state),
      lastCheck,
      gdap,
    };
  }

  return {
    partnerFor,
    checkStatusKey,
    status,
    gdapSummary,

    /** Whether the status stream can end: nothing more will change without a new run. */
    isSettled(view: StatusView): boolean {
      if (view.sync?.status === 'running' || !['active', 'sync_failed', 'needs_attention', 'suspended'].includes(view.state)) return false;
      // The GDAP read follows a completed import: the stream waits for it, so the page shows it.
      const gdapPending = view.state === 'active' && view.lastSyncAt !== null && (!view.gdap?.readAt || Date.parse(view.gdap.readAt) < Date.parse(view.lastSyncAt));
      return !gdapPending;
    },

    async customers(partnerId: string, query: CustomerQuery) {
      const cursor = decodeCursor(query.cursor);
      if (query.cursor && !cursor) throw new ValidationError('The page cursor is damaged.', [{ path: 'cursor', message: 'Start again from the first page.' }]);
      const rows = await repo.customersPage(db, partnerId, { search: query.search || undefined, sort: query.sort, order: query.order, cursor, limit: query.limit, noAdminAccess: query.access === 'no_admin_access' });
      const more = rows.length > query.limit;
      const page = more ? rows.slice(0, query.limit) : rows;
      const last = page.at(-1);
      return {
        items: page.map((r) => ({
          id: r.customer_id,
          companyName: r.company_name,
          domain: r.domain,
          tenantId: r.tenant_id,
          relationship: r.relationship,
          firstSeenAt: iso(r.first_seen_at)!,
          lastSeenAt: iso(r.last_seen_at)!,
          gdap: {
            status: r.gdap_status,
            endAt: iso(r.gdap_end_at),
            autoExtend: r.gdap_auto_extend,
            globalAdmin: r.gdap_global_admin,
            readOnly: r.gdap_read_only,
            groupAssigned: r.gdap_group_assigned,
            relationship: r.gdap_relationship,
            canManage: r.gdap_status === null ? null : r.gdap_blocker === null,
            blocker: r.gdap_blocker,
            reason: r.gdap_blocker ? BLOCKER_TEXT[r.gdap_blocker].reason : null,
            fix: r.gdap_blocker ? BLOCKER_TEXT[r.gdap_blocker].fix : null,
          },
        })),
        nextCursor: more && last ? encodeCursor({ key: last.sort_key, id: last.customer_id }) : null,
      };
    },

    async summary(partnerId: string) {
      const [counts, latest, lastCompleted] = await Promise.all([repo.counts(db, partnerId), repo.latestRun(db, partnerId), repo.lastCompletedRun(db, partnerId)]);
      return { customerCount: counts.present, removedCount: counts.removed, lastSyncAt: iso(lastCompleted?.finished_at), lastSyncStatus: latest?.status ?? null };
    },
  };
}

export type SyncStatus = ReturnType<typeof createSyncStatus>;
